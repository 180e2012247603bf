"""Twilio's webhook forms, read into postlive's neutral shapes.

An incoming WhatsApp message becomes one `bot.messages.Inbound`; a status callback
becomes one `bot.receipts.Receipt`. Anything that is not what Twilio sends raises
`BadPayload`, which the web layer answers with 400: a form body that does not parse,
a repeated field, a sender that is not a WhatsApp address, a media count that is not
a number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qsl

from adapters.whatsapp.errors import parse_code, reason_for
from bot.messages import Channel, Inbound, Media
from bot.receipts import Receipt, Status

FORM_TYPE = "application/x-www-form-urlencoded"
#: Twilio sends a few dozen fields; a thousand is not a webhook.
MAX_FIELDS = 200
#: WhatsApp allows up to 10 media per message.
MAX_MEDIA = 10
_E164 = re.compile(r"\+[1-9][0-9]{5,16}")
#: A Twilio message id: SM (text) or MM (media) and 32 lowercase hex digits, nothing more.
#: Strict on purpose: a captured signed form whose next field was folded into the id
#: ("SM...1NumMedia0") would otherwise pass dedup as a new message.
_MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-f]{32}")
#: Raw platform fields kept beside the neutral message (Inbound.extras).
EXTRAS = (
    "WaId",
    "To",
    "AccountSid",
    "MessagingServiceSid",
    "MessageType",
    "ButtonText",
    "ButtonPayload",
    "NumSegments",
    "Latitude",
    "Longitude",
    "OriginalRepliedMessageSid",
    "ReferralSourceUrl",
    "ReferralCtwaClid",
)


class BadPayload(ValueError):
    """A request body that is not a Twilio webhook; `reason` is safe to answer with."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def read_form(body: bytes, content_type: str | None) -> dict[str, str]:
    """The fields of a urlencoded body, strictly: Twilio percent-encodes UTF-8 and never
    repeats a field, so anything else is refused rather than guessed at."""
    if (content_type or "").split(";", 1)[0].strip().lower() != FORM_TYPE:
        raise BadPayload(f"expected an {FORM_TYPE} body")
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=bool(text),
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadPayload("malformed form body") from exc
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise BadPayload(f"field {name!r} repeated")
        form[name] = value
    return form


def _clean(text: str | None) -> str | None:
    """Text as the customer wrote it, minus NUL (no database keeps it in a text column)."""
    if text is None:
        return None
    cleaned = text.replace("\x00", "")
    return cleaned if cleaned.strip() else None


def _sid(form: Mapping[str, str], *names: str) -> str:
    """The message id, from the first of `names` Twilio sent; every one of them that is
    present must be a well-formed message id and all must agree."""
    found: str | None = None
    for name in names:
        if name not in form:
            continue
        value = form[name]
        if not _MESSAGE_SID.fullmatch(value):
            raise BadPayload(f"{name} is not a Twilio message id (SM or MM + 32 hex digits)")
        if found is not None and value != found:
            raise BadPayload(f"{name} differs from {names[0]}")
        found = found or value
    if found is None:
        raise BadPayload(f"{names[0]} missing")
    return found


def whatsapp_number(value: str | None, field: str = "From") -> str:
    """The number of a WhatsApp address: whatsapp:+4915112345678 -> +4915112345678."""
    raw = (value or "").strip()
    if not raw.startswith("whatsapp:"):
        raise BadPayload(f"{field} is not a WhatsApp address")
    number = raw.removeprefix("whatsapp:").strip()
    if not number.startswith("+"):
        number = f"+{number}"
    if not _E164.fullmatch(number):
        raise BadPayload(f"{field} is not an E.164 number")
    return number


def inbound_message(form: Mapping[str, str]) -> Inbound:
    sid = _sid(form, "MessageSid", "SmsMessageSid", "SmsSid")
    address = whatsapp_number(form.get("From"))
    try:
        count = int(form.get("NumMedia") or "0")
    except ValueError as exc:
        raise BadPayload("NumMedia is not a number") from exc
    if not 0 <= count <= MAX_MEDIA:
        raise BadPayload(f"NumMedia must be 0 to {MAX_MEDIA}")
    media = []
    for index in range(count):
        url = form.get(f"MediaUrl{index}", "").strip()
        if not url.startswith(("https://", "http://")):
            raise BadPayload(f"MediaUrl{index} missing or not a URL")
        content_type = form.get(f"MediaContentType{index}", "").strip()
        media.append(Media(url=url, content_type=content_type or "application/octet-stream"))
    payload = _clean(form.get("ButtonPayload"))
    text = _clean(form.get("Body")) or _clean(form.get("ButtonText"))
    profile = _clean(form.get("ProfileName"))
    return Inbound(
        channel=Channel.WHATSAPP,
        address=address,
        external_id=sid,
        text=text,
        choice=payload.strip()[:200] if payload else None,
        media=tuple(media),
        profile_name=profile[:200] if profile else None,
        extras={name: form[name][:500] for name in EXTRAS if form.get(name)},
    )


def status_receipt(form: Mapping[str, str]) -> Receipt | None:
    """The receipt in a status callback; None for statuses we do not track (queued,
    accepted, sending, scheduled...)."""
    sid = _sid(form, "MessageSid", "SmsMessageSid", "SmsSid")
    raw = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
    if not raw:
        raise BadPayload("MessageStatus missing")
    try:
        status = Status(raw)
    except ValueError:
        return None
    code = parse_code(form.get("ErrorCode"))
    failed = status in (Status.FAILED, Status.UNDELIVERED)
    detail = (form.get("ErrorMessage") or form.get("ChannelStatusMessage") or "").strip()
    return Receipt(
        channel=Channel.WHATSAPP,
        provider_id=sid,
        status=status,
        reason=reason_for(code) if failed else None,
        error_code=str(code) if failed and code else None,
        detail=detail[:300] if failed else "",
    )
