"""Audiences from a shop's order export: one contact per customer phone, tagged for a show.

Reads the exports sellers really have, recognised from the header row: a plain CSV (name,
phone and optional locale, country, email, consent and time zone columns), Shopify's orders
export (one row per line item: one contact per order and per phone) and TikTok Shop's order
export. Country and time zone come from the phone number where the file has none; rows that
cannot become a contact are reported with their line number and the reason.

WhatsApp allows business-initiated messages only to customers who opted in: a contact
without recorded consent is imported with consent False (the campaign planner skips it).
Only a column that speaks of SMS or WhatsApp consent records it: Shopify's "Accepts
Marketing" is e-mail consent and is not read. An operator whose consent lives elsewhere
names the column (`consent_column`) or says every row consented (`assume_consent`).
Existing contacts only gain what they lack, consent only ever goes up, an opted-out contact
stays opted out, and re-importing the same file changes nothing.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from babel import Locale
from sqlalchemy import insert, text
from sqlmodel import Session, col, select

from bot.errors import AudienceError
from bot.locales import normalize_tag
from bot.models import AudienceMember, Contact
from bot.windows import infer_from_phone

CHUNK = 500
TIKTOK_MASKED = (
    "phone masked by TikTok Shop (export with full contact data or ask the buyer to message you)"
)
_YES = frozenset({"yes", "y", "true", "t", "1", "x", "sí", "si", "ja", "j", "oui", "sim", "on"})

#: Per format, the fields we read and the headers (lower case) that carry each, best first.
#: `order` groups the line items of one order; `phone2`/`phone3` are fallbacks for `phone`,
#: read with `country`/`country2` as the default region.
_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "plain": {
        "order": ("order", "order number", "order id", "order name", "order #"),
        "name": ("name", "full name", "customer name", "customer", "contact name"),
        "first": ("first name", "firstname", "given name"),
        "last": ("last name", "lastname", "surname", "family name"),
        "phone": (
            "phone",
            "phone number",
            "whatsapp",
            "whatsapp number",
            "mobile",
            "mobile phone",
            "mobile number",
            "telephone",
            "tel",
            "cell",
            "cell phone",
        ),
        "phone2": ("default address phone",),  # Shopify's customers export
        "country": ("country", "country code", "default address country code"),
        "locale": ("locale", "language", "lang"),
        "email": ("email", "e-mail", "email address"),
        "timezone": ("timezone", "time zone", "tz"),
        "consent": (
            "consent",
            "marketing consent",
            "whatsapp consent",
            "opt-in",
            "opt in",
            "optin",
            "whatsapp opt-in",
            "accepts sms marketing",
            "sms consent",
            "accepts whatsapp marketing",
        ),
    },
    "shopify": {
        "order": ("name",),
        "name": ("shipping name",),
        "name2": ("billing name",),
        "phone": ("phone",),
        "phone2": ("shipping phone",),
        "phone3": ("billing phone",),
        "country": ("shipping country",),
        "country2": ("billing country",),
        "email": ("email",),
        # "Accepts Marketing" is e-mail consent: never WhatsApp consent.
        "consent": ("accepts sms marketing", "sms consent", "whatsapp consent"),
    },
    "tiktok": {
        "order": ("order id",),
        "name": ("recipient",),
        "name2": ("buyer username",),
        "phone": ("phone #",),
        "country": ("country",),
        "email": ("email", "buyer email"),
        "consent": ("consent", "marketing consent"),
    },
}
_PHONES = ("phone", "phone2", "phone3")
_FILLABLE = ("name", "locale", "country", "timezone", "email")


@dataclass
class ImportReport:
    """What an import did. `rows` counts the file's data rows; added, updated and already
    count contacts (one per order and per phone), so they need not add up to `rows`."""

    format: str  # "plain" | "shopify" | "tiktok"
    rows: int = 0
    added: int = 0  # new contacts
    updated: int = 0  # existing contacts that gained data or joined this audience
    already: int = 0  # unchanged, already in the audience
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (CSV line, reason)
    #: Contacts of this file with no SMS/WhatsApp consent: campaigns will skip them.
    without_consent: int = 0


@dataclass
class _Candidate:
    line: int
    address: str
    name: str | None
    locale: str | None
    country: str | None
    timezone: str | None
    email: str | None
    consent: bool


def import_audience(
    session: Session,
    path: Path,
    tag: str,
    now: datetime,
    channel: str = "whatsapp",
    progress: Callable[[int], None] | None = None,
    *,
    consent_column: str | None = None,
    assume_consent: bool = False,
) -> ImportReport:
    """Import the customers in `path` into the audience `tag`. The caller commits.

    `consent_column` names the column that records WhatsApp consent (yes/true/1...);
    `assume_consent` records it for every row: the operator's explicit word."""
    path = Path(path)
    with _open_csv(path, consent_column) as (fmt, rows):
        importer = _Importer(session, tag, now, channel, fmt, progress)
        if assume_consent:
            importer.assume_consent, importer.source = True, "import:operator"
        elif consent_column:
            importer.source = f"import:{fmt}:{_header(consent_column)}"[:64]
        for line, count, fields in _orders(rows):
            importer.add(line, count, fields)
        importer.finish()
    if importer.report.added >= ANALYZE_AFTER and session.connection().dialect.name == "postgresql":
        # Fresh planner statistics: until autovacuum gets to them, PostgreSQL plans the
        # campaign that usually follows an import as if these tables were still empty.
        tables = (Contact.__tablename__, AudienceMember.__tablename__)
        session.execute(text(f"ANALYZE {', '.join(str(t) for t in tables)}"))
    return importer.report


#: New contacts from which an import refreshes PostgreSQL's statistics itself.
ANALYZE_AFTER = 1000


# -- reading ----------------------------------------------------------------------------


def _encoding(path: Path) -> str:
    """UTF-16 if it says so, UTF-8 (BOM or not) if it decodes, else cp1252, else latin-1."""
    try:
        with path.open("rb") as fh:
            head = fh.read(65536)
            if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                return "utf-16"
            if not head.strip():
                raise AudienceError(f"Audience file {path} is empty.")
            if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
                raise AudienceError(
                    f"Audience file {path} is an Excel workbook, not a CSV "
                    "file: save it as CSV UTF-8 and import that."
                )
            if b"\x00" in head:
                raise AudienceError(f"Audience file {path} is not a CSV file (binary data).")
            for encoding in ("utf-8", "cp1252"):
                fh.seek(0)
                decoder = codecs.getincrementaldecoder(encoding)()
                try:
                    while chunk := fh.read(1 << 20):
                        decoder.decode(chunk)
                    decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    continue
                return "utf-8-sig" if encoding == "utf-8" else encoding
    except FileNotFoundError:
        raise AudienceError(f"Audience file {path} does not exist.") from None
    except IsADirectoryError:
        raise AudienceError(f"Audience file {path} is a directory, not a CSV file.") from None
    except OSError as exc:
        raise AudienceError(f"Audience file {path} cannot be read: {exc.strerror}.") from exc
    return "latin-1"


def _detect(headers: set[str]) -> str:
    if "lineitem name" in headers and headers & {"billing name", "shipping name"}:
        return "shopify"
    if "order id" in headers and headers & {"recipient", "buyer username"} and "phone #" in headers:
        return "tiktok"
    return "plain"


def _header(name: str) -> str:
    return " ".join(name.replace("_", " ").split()).lower()


@contextmanager
def _open_csv(
    path: Path, consent_column: str | None = None
) -> Iterator[tuple[str, Iterator[tuple[int, dict[str, str]]]]]:
    """(format, rows): rows yields (line number, {field: value}) per non-blank data row."""
    with path.open(encoding=_encoding(path), newline="") as fh:
        try:
            first = fh.readline()
            hint, offset, delimiter = first.rstrip("\r\n"), 0, None
            if hint.lower().startswith("sep=") and len(hint) == 5:  # Excel's delimiter line
                delimiter, offset, first = hint[4], 1, fh.readline()
        except UnicodeError as exc:
            raise AudienceError(f"Audience file {path} is not readable text: {exc}.") from exc
        if not first.strip():
            raise AudienceError(f"Audience file {path} has no header row.")
        delimiter = delimiter or max((",", ";", "\t"), key=first.count)
        reader = csv.reader(itertools.chain([first], fh), delimiter=delimiter)
        header = [_header(h) for h in next(reader)]
        fmt = _detect(set(header))
        where = {
            key: [header.index(a) for a in aliases if a in header]
            for key, aliases in _COLUMNS[fmt].items()
        }
        if consent_column:
            if _header(consent_column) not in header:
                found = ", ".join(h for h in header[:30] if h) or "none"
                raise AudienceError(
                    f"Audience file {path} has no column {consent_column!r} (columns found: "
                    f"{found})."
                )
            where["consent"] = [header.index(_header(consent_column))]
        if not any(where.get(p) for p in _PHONES):
            found = ", ".join(h for h in header[:20] if h) or "none"
            raise AudienceError(
                f"Audience file {path} has no phone column (columns found: {found}); expected "
                "a CSV with name and phone, a Shopify orders export or a TikTok Shop export."
            )
        yield fmt, _rows(path, reader, where, offset, fmt)


def _rows(
    path: Path, reader: Any, where: dict[str, list[int]], offset: int, fmt: str
) -> Iterator[tuple[int, dict[str, str]]]:
    line, first = reader.line_num, True
    while True:
        start = line + 1 + offset  # a quoted field may span lines: report where a row starts
        try:
            row = next(reader)
        except StopIteration:
            return
        except (csv.Error, UnicodeError) as exc:
            raise AudienceError(
                f"Audience file {path} is not valid CSV at line {start}: {exc}."
            ) from exc
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        fields = {}
        for key, indexes in where.items():
            values = [row[i].strip() for i in indexes if i < len(row)]
            if key == "consent":
                fields[key] = "1" if any(v.lower() in _YES for v in values) else ""
            else:
                fields[key] = next((v for v in values if v), "")
        if first and fmt == "tiktok" and not re.search(r"\d", fields["order"]):
            first = False
            continue  # TikTok puts a row of column descriptions under the header
        first = False
        yield start, fields


def _orders(rows: Iterator[tuple[int, dict[str, str]]]) -> Iterator[tuple[int, int, dict]]:
    """(first line, rows, fields) per order, each field its first non-empty value (line items
    after the first often leave the customer empty); a plain CSV's rows stand alone."""
    current: tuple[int, int, dict[str, str]] | None = None
    for line, fields in rows:
        key = fields.get("order")
        if current is not None and key and key == current[2].get("order"):
            merged = current[2]
            for name, value in fields.items():
                if value and not merged[name]:
                    merged[name] = value
            current = (current[0], current[1] + 1, merged)
            continue
        if current is not None:
            yield current
        current = (line, 1, fields)
    if current is not None:
        yield current


# -- values -----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for language in ("en", "de", "fr", "es", "pt", "it", "nl"):
        for code, name in Locale(language).territories.items():
            if code in phonenumbers.SUPPORTED_REGIONS:
                names.setdefault(name.casefold(), code)
    names.update(
        {
            "usa": "US",
            "u.s.a.": "US",
            "u.s.": "US",
            "united states of america": "US",
            "uk": "GB",
            "u.k.": "GB",
            "great britain": "GB",
            "england": "GB",
            "scotland": "GB",
            "wales": "GB",
            "northern ireland": "GB",
            "hong kong": "HK",
            "macau": "MO",
            "macao": "MO",
            "korea": "KR",
            "republic of korea": "KR",
            "viet nam": "VN",
            "czech republic": "CZ",
            "turkey": "TR",
            "uae": "AE",
            "holland": "NL",
        }
    )
    return names


def _country(value: str) -> str | None:
    """ISO 3166 alpha-2 from a code ("us") or a country name in English or a few others."""
    if len(value) == 2 and value.upper() in phonenumbers.SUPPORTED_REGIONS:
        return value.upper()
    return _country_names().get(value.casefold()) if value else None


@lru_cache(maxsize=1024)
def _zone(value: str) -> str | None:
    try:
        return value if value and ZoneInfo(value) else None
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "America" is a directory
        return None


_SPREADSHEET_NUMBER = re.compile(r"\d+([.,]\d+)?E\+?\d+", re.IGNORECASE)


@lru_cache(maxsize=65536)
def _phone(raw: str, region: str | None, fmt: str) -> tuple[str | None, str]:
    """(E.164 address, "") or (None, why the number cannot be used)."""
    text = raw.lstrip("'").strip()  # "'+1 415..." keeps Excel from reading a formula
    shown = f"'{text[:40]}'"
    if "*" in text:
        return None, TIKTOK_MASKED if fmt == "tiktok" else f"phone number {shown} is masked"
    if _SPREADSHEET_NUMBER.fullmatch(text):
        return None, (
            f"invalid phone number {shown} (a spreadsheet turned it into a number; "
            "format the column as text)"
        )
    tries: list[tuple[str, str | None]] = [(text, region)]
    digits = re.sub(r"\D", "", text)
    if digits and "+" not in text and not text.startswith("0"):
        # A spreadsheet often drops the "+": "4915112345678" in a row from Germany.
        code = str(phonenumbers.country_code_for_region(region)) if region else ""
        if digits.startswith(code):
            tries.insert(0, ("+" + digits, None))
    for candidate, default in tries:
        try:
            number = phonenumbers.parse(candidate, default)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), ""
    if region is None and "+" not in text and not text.startswith("00"):
        return None, f"invalid phone number {shown} (no country code, and no country to read it by)"
    return None, f"invalid phone number {shown}"


def _candidate(fmt: str, line: int, fields: dict[str, str]) -> _Candidate | str:
    """The contact a row (or an order) describes, or why there is none."""
    country1 = _country(fields.get("country", ""))
    country2 = _country(fields.get("country2", ""))
    regions = (country1 or country2, country1 or country2, country2 or country1)
    address, reason = None, ""
    for key, region in zip(_PHONES, regions, strict=True):
        if raw := fields.get(key):
            address, why = _phone(raw, region, fmt)
            if address:
                break
            reason = reason or why
    if address is None:
        return reason or "no phone number"
    phone_country, phone_zone = infer_from_phone(address)
    name = (
        fields.get("name")
        or fields.get("name2")
        or " ".join(part for part in (fields.get("first"), fields.get("last")) if part)
    )
    email, locale = fields.get("email", ""), fields.get("locale")
    return _Candidate(
        line=line,
        address=address,
        name=name[:200] or None,
        country=country1 or country2 or phone_country,
        timezone=_zone(fields.get("timezone", "")) or phone_zone,
        locale=normalize_tag(locale) if locale else None,
        email=email[:320] if "@" in email else None,
        consent=bool(fields.get("consent")),
    )


# -- writing ----------------------------------------------------------------------------


class _Importer:
    """Upserts contacts CHUNK rows at a time: one lookup and one bulk insert per chunk."""

    def __init__(
        self,
        session: Session,
        tag: str,
        now: datetime,
        channel: str,
        fmt: str,
        progress: Callable[[int], None] | None,
    ) -> None:
        self.session, self.tag, self.now, self.channel = session, tag, now, channel
        self.progress, self.report = progress, ImportReport(format=fmt)
        self.source = f"import:{fmt}"
        self.assume_consent = False
        #: address -> the order numbers it came with (exports carry them to match answers).
        self.order_of: dict[str, str] = {}
        self.no_consent: set[str] = set()
        self.pending: list[_Candidate] = []
        self.pending_rows = 0  # rows read since the last write
        #: Per address imported so far: "added", "updated", "already" or "forgotten".
        self.status: dict[str, str] = {}
        self.orders: set[str] = set()

    def add(self, line: int, rows: int, fields: dict[str, str]) -> None:
        self.report.rows, self.pending_rows = self.report.rows + rows, self.pending_rows + rows
        order = fields.get("order")
        if not (order in self.orders and not any(fields.get(p) for p in _PHONES)):
            # (else: more line items of an order met earlier in the file, nothing new)
            candidate = _candidate(self.report.format, line, fields)
            if isinstance(candidate, str):
                self.report.rejected.append((line, candidate))
            else:
                candidate.consent = candidate.consent or self.assume_consent
                if order and order not in self.order_of.get(candidate.address, ""):
                    known = self.order_of.get(candidate.address)
                    self.order_of[candidate.address] = f"{known} {order}" if known else order
                if not candidate.consent:
                    self.no_consent.add(candidate.address)
                self.pending.append(candidate)
        if order:
            self.orders.add(order)
        if self.pending_rows >= CHUNK:
            self._write()

    def finish(self) -> None:
        if self.pending_rows:
            self._write()
        self.report.without_consent = len(self.no_consent)
        outcomes = list(self.status.values())
        self.report.added = outcomes.count("added")
        self.report.updated = outcomes.count("updated")
        self.report.already = outcomes.count("already")
        self.report.rejected.sort()

    def _write(self) -> None:
        chunk, self.pending, self.pending_rows = self.pending, [], 0
        existing = {
            c.address: c
            for c in self.session.exec(
                select(Contact).where(
                    Contact.channel == self.channel,
                    col(Contact.address).in_({c.address for c in chunk}),
                )
            )
        }
        members = (
            set(
                self.session.exec(
                    select(AudienceMember.contact_id).where(
                        AudienceMember.tag == self.tag,
                        col(AudienceMember.contact_id).in_([c.id for c in existing.values()]),
                    )
                )
            )
            if existing
            else set()
        )
        new: dict[str, _Candidate] = {}
        joining: set[int] = set()
        address_of: dict[int, str] = {}
        for c in chunk:
            contact, before = existing.get(c.address), self.status.get(c.address)
            if contact is None:
                if c.address in new:
                    _fill(new[c.address], c)
                else:
                    new[c.address], self.status[c.address] = c, "added"
            elif contact.forgotten_at is not None:
                self.report.rejected.append((c.line, "contact asked to be forgotten"))
                self.status[c.address] = "forgotten"
            else:
                changed = _fill(contact, c, self.source)
                assert contact.id is not None  # read from the database: it has its id
                if contact.id not in members and contact.id not in joining:
                    joining.add(contact.id)
                    address_of[contact.id] = contact.address
                    changed = True
                if before is None or (before == "already" and changed):
                    self.status[c.address] = "updated" if changed else "already"
        if new:  # Core bulk insert: building 100k ORM objects would dominate the import
            self.session.execute(
                insert(Contact),
                [
                    {
                        "channel": self.channel,
                        "created_at": self.now,
                        "address": c.address,
                        **{attr: getattr(c, attr) for attr in _FILLABLE},
                        "consent": c.consent,
                        "consent_source": self.source if c.consent else None,
                    }
                    for c in new.values()
                ],
            )
            for i, address in self.session.exec(
                select(Contact.id, Contact.address).where(
                    Contact.channel == self.channel, col(Contact.address).in_(list(new))
                )
            ):
                if i is not None:
                    joining.add(i)
                    address_of[i] = address
        if joining:
            self.session.execute(
                insert(AudienceMember),
                [
                    {
                        "tag": self.tag,
                        "contact_id": i,
                        "source": self.report.format,
                        "order_ref": (self.order_of.get(address_of.get(i, "")) or "")[:64] or None,
                    }
                    for i in sorted(joining)
                ],
            )
        self.session.flush()
        if self.progress:
            self.progress(self.report.rows)


def _fill(target: Contact | _Candidate, c: _Candidate, source: str | None = None) -> bool:
    """Give `target` what it lacks; consent only ever goes up, and never after an opt-out."""
    changed = False
    for attr in _FILLABLE:
        value = getattr(c, attr)
        if value and not getattr(target, attr):
            setattr(target, attr, value)
            changed = True
    if c.consent and not target.consent and getattr(target, "opted_out_at", None) is None:
        target.consent = True
        if isinstance(target, Contact):
            target.consent_source = source
        changed = True
    return changed
