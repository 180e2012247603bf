"""Campaigns: who gets the survey, when (their local window), and what stops it.

`plan` is a dry run the team sees before anything is sent (recipients per market and
channel, local send times, coupons needed against available, who is skipped and why);
`start` stores the same plan as one conversation per contact.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from babel.languages import get_official_languages
from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    DateTime,
    Double,
    Engine,
    Integer,
    Interval,
    Join,
    MetaData,
    Select,
    String,
    Table,
    and_,
    case,
    cast,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    text,
    update,
)
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot import coupons
from bot.errors import ConfigError, NotFound
from bot.flows import Flow
from bot.models import (
    AudienceMember,
    Campaign,
    CampaignStatus,
    Contact,
    Conversation,
    ConversationState,
)
from bot.ratelimit import DEFAULT_PLANNING_RATES
from bot.windows import Spreader, contact_zone, in_window, is_zone, slot_offset, zone

if TYPE_CHECKING:
    from bot.settings import Settings

WHATSAPP = "whatsapp"

log = logging.getLogger(__name__)


@dataclass
class MarketPlan:
    market: str
    channel: str
    recipients: int = 0
    first_send: datetime | None = None
    timezone: str | None = None
    #: Recipients whose market window is closed at the start (sent anyway: override).
    outside_window: int = 0
    #: When that window next opens, in the market's local time.
    window: str = ""

    @property
    def first_send_local(self) -> str:
        if self.first_send is None:
            return "-"
        return self.first_send.astimezone(zone(self.timezone)).strftime("%a %d %b %H:%M %Z")


@dataclass
class Plan:
    flow: Flow
    audience_tag: str
    coupon_pool: str | None
    starts_at: datetime
    markets: dict[tuple[str, str], MarketPlan] = field(default_factory=dict)
    skipped: Counter[str] = field(default_factory=Counter)
    coupons_free: int = 0
    #: Intros go at the start, not at each market's local window (--now).
    ignore_windows: bool = False

    @property
    def channels(self) -> set[str]:
        return {m.channel for m in self.markets.values() if m.recipients}

    def outside_windows(self) -> list[MarketPlan]:
        """Markets that will be messaged outside their local window (override only)."""
        return [m for m in self.markets.values() if m.outside_window]

    @property
    def recipients(self) -> int:
        return sum(m.recipients for m in self.markets.values())

    @property
    def coupons_short(self) -> int:
        return max(0, self.recipients - self.coupons_free) if self.coupon_pool else 0

    def warnings(self) -> list[str]:
        notes = []
        if self.recipients == 0:
            notes.append(f"nobody to survey in audience {self.audience_tag!r}")
        if self.coupons_short:
            notes.append(
                f"coupon pool {self.coupon_pool!r} has {self.coupons_free} free codes for "
                f"{self.recipients} recipients: {self.coupons_short} short if all complete"
            )
        return notes


def locale_for_contact(contact: Contact, flow: Flow) -> str:
    """Their own locale if known, else the main language of their country."""
    return locale_for(contact.locale, contact.country, flow)


def locale_for(locale: str | None, country: str | None, flow: Flow) -> str:
    """`locale_for_contact` from the two columns it reads."""
    wanted = locale
    if not wanted and country:
        languages = get_official_languages(country, de_facto=True)
        if languages:
            wanted = f"{languages[0]}-{country}"
    return flow.locale_for(wanted)


def skip_reason(contact: Contact) -> str | None:
    if contact.forgotten_at is not None:
        return "asked to be forgotten"
    if contact.opted_out_at is not None:
        return "opted out"
    if contact.unreachable_reason:
        return f"unreachable: {contact.unreachable_reason}"
    if contact.channel == WHATSAPP and not contact.consent:
        # WhatsApp allows business-initiated messages only to customers who opted in.
        return "no recorded WhatsApp opt-in"
    return None


#: What planning reads of a contact: plain rows, not ORM objects (five times cheaper
#: at 100,000 recipients); they have the same attribute names.
_PLANNING_COLUMNS = (
    col(Contact.id),
    col(Contact.channel),
    col(Contact.address),
    col(Contact.locale),
    col(Contact.country),
    col(Contact.timezone),
    col(Contact.consent),
    col(Contact.opted_out_at),
    col(Contact.unreachable_reason),
    col(Contact.forgotten_at),
)


def _audience(session: Session, tag: str, chunk: int = 5000) -> Iterator[Contact]:
    last = 0
    while True:
        rows = (
            session.connection()
            .execute(
                sa_select(*_PLANNING_COLUMNS)
                .join(AudienceMember, col(AudienceMember.contact_id) == Contact.id)
                # Paged along the audience's primary key (tag, contact_id): PostgreSQL
                # then reads each page from the index, not the whole audience per page.
                .where(col(AudienceMember.tag) == tag, col(AudienceMember.contact_id) > last)
                .order_by(col(AudienceMember.contact_id))
                .limit(chunk)
            )
            .all()
        )
        if not rows:
            return
        yield from rows  # type: ignore[misc]
        last = rows[-1].id


def plan(
    session: Session,
    flow: Flow,
    audience_tag: str,
    starts_at: datetime,
    coupon_pool: str | None = None,
    *,
    ignore_windows: bool = False,
) -> Plan:
    pool = coupon_pool or (flow.coupon.pool if flow.coupon else None)
    result = Plan(flow, audience_tag, pool, starts_at, ignore_windows=ignore_windows)
    walk = _walk(session, flow, audience_tag, starts_at, ignore_windows=ignore_windows)
    for contact, reason, send_at, market in walk:
        if reason:
            result.skipped[reason] += 1
            continue
        key = (market, contact.channel)
        entry = result.markets.setdefault(
            key, MarketPlan(market, contact.channel, timezone=contact.timezone)
        )
        entry.recipients += 1
        if ignore_windows:
            window = flow.market(market).window
            tz = contact_zone(contact.timezone, contact.country, contact.address)
            if not in_window(starts_at, tz, window):
                entry.outside_window += 1
                entry.window = f"{window.start:%H:%M}-{window.end:%H:%M}"
        if entry.first_send is None or (send_at and send_at < entry.first_send):
            entry.first_send, entry.timezone = send_at, contact.timezone
    if pool:
        result.coupons_free = coupons.counts(session, pool).free
    return result


def _walk(
    session: Session,
    flow: Flow,
    tag: str,
    starts_at: datetime,
    rates: Mapping[str, float] | None = None,
    *,
    ignore_windows: bool = False,
) -> Iterator[tuple[Contact, str | None, datetime | None, str]]:
    """Each audience contact with why they are skipped, or their send time: the first
    instant of their market's window in their own time zone, spread over the window at
    `rates` (messages per second per channel; see windows.Spreader); `starts_at` itself
    when the operator overrides the windows (the outbox paces them at the provider rate)."""
    spreader = Spreader(starts_at, DEFAULT_PLANNING_RATES if rates is None else rates)
    for contact in _audience(session, tag):
        market = (contact.country or "??").upper()
        reason = skip_reason(contact)
        send_at = None
        if not reason and ignore_windows:
            send_at = starts_at
        elif not reason:
            tz = contact_zone(contact.timezone, contact.country, contact.address)
            send_at = spreader.send_at(contact.channel, tz, flow.market(market).window)
        yield contact, reason, send_at, market


def start(
    session: Session,
    flow: Flow,
    audience_tag: str,
    starts_at: datetime,
    now: datetime,
    coupon_pool: str | None = None,
    show: str = "",
    created_by: str | None = None,
    rates: Mapping[str, float] | None = None,
    *,
    ignore_windows: bool = False,
    is_test: bool = False,
    flow_path: str | None = None,
) -> Campaign:
    """Create the campaign and one conversation per audience contact (skipped ones too,
    so `campaign status` can say why they got nothing). `rates` (messages per second per
    channel, `ratelimit.planning_rates(settings)`) paces the intros over each window;
    `ignore_windows` sends them from `starts_at` on, and the dispatcher does not hold
    them for the market's window either."""
    if not session.exec(
        select(AudienceMember.tag).where(AudienceMember.tag == audience_tag)
    ).first():
        raise NotFound("audience", audience_tag)
    campaign = Campaign(
        flow_id=flow.id,
        flow_version=flow.version,
        audience_tag=audience_tag,
        show=show or audience_tag,
        coupon_pool=coupon_pool or (flow.coupon.pool if flow.coupon else None),
        status=CampaignStatus.RUNNING,
        starts_at=starts_at,
        created_at=now,
        created_by=created_by,
        ignore_windows=ignore_windows,
        is_test=is_test,
        flow_path=flow_path,
    )
    session.add(campaign)
    session.flush()
    assert campaign.id is not None  # flushed above
    rates = DEFAULT_PLANNING_RATES if rates is None else rates
    if plan_in_sql(session, campaign.id, flow, audience_tag, starts_at, rates, ignore_windows):
        log.info("campaign %s planned set-based", campaign.id)
    else:
        _plan_row_by_row(session, campaign.id, flow, audience_tag, starts_at, rates, ignore_windows)
        log.info("campaign %s planned contact by contact (slots spill past windows)", campaign.id)
    return campaign


# -- the plan as one INSERT ... SELECT ------------------------------------------------
#
# What must stay in Python is computed once per distinct value, never per contact:
# locale and market per (locale, country, time zone) seen in the audience, the first
# window per (zone, market). Only contacts without a usable time zone are read one by
# one (their zone comes from the phone number). These land in three temporary tables;
# the database joins them to the audience, numbers each channel's slots in contact
# order (row_number) and writes every conversation in one statement.

_SCRATCH = MetaData()
#: (locale, country, time zone) as stored ('' for NULL) -> what planning makes of them.
_PROFILE = Table(
    "plan_profile",
    _SCRATCH,
    Column("lk", String, nullable=False),
    Column("ck", String, nullable=False),
    Column("tk", String, nullable=False),
    Column("locale", String, nullable=False),
    Column("market", String, nullable=False),
    #: The stored time zone when it is one, else NULL (then read per contact: _ZONE).
    Column("zone", String),
    prefixes=["TEMPORARY"],
)
#: contact -> zone ('' for UTC), for planned contacts whose stored zone is not usable.
_ZONE = Table(
    "plan_zone",
    _SCRATCH,
    Column("contact_id", Integer, primary_key=True),
    Column("zone", String, nullable=False),
    prefixes=["TEMPORARY"],
)
#: (zone, market) -> the first window's opening, as a timestamp and in epoch microseconds.
_WINDOW = Table(
    "plan_window",
    _SCRATCH,
    Column("zone", String, nullable=False),
    Column("market", String, nullable=False),
    Column("open_at", DateTime(timezone=True), nullable=False),
    Column("open_us", BigInteger, nullable=False),
    prefixes=["TEMPORARY"],
)


def plan_in_sql(
    session: Session,
    campaign_id: int,
    flow: Flow,
    audience_tag: str,
    starts_at: datetime,
    rates: Mapping[str, float],
    ignore_windows: bool = False,
) -> bool:
    """Store the campaign's conversations with one INSERT ... SELECT; the same rows
    `_plan_row_by_row` writes (tests/integration/test_campaign_plan.py holds them to it).
    False, having written nothing, when some market does not fit in its first window at
    its channel's rate: the slots carried into the next windows are left to Python."""
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    if connection.dialect.name not in ("sqlite", "postgresql"):
        return False
    audience = AudienceMember.__table__.join(  # type: ignore[attr-defined]
        Contact.__table__,  # type: ignore[attr-defined]
        col(AudienceMember.contact_id) == col(Contact.id),
    )
    in_audience = col(AudienceMember.tag) == audience_tag
    keys = (
        func.coalesce(col(Contact.locale), ""),
        func.coalesce(col(Contact.country), ""),
        func.coalesce(col(Contact.timezone), ""),
    )
    reason = _skip_reason_sql()
    planned = reason.is_(None)
    # One pass over the audience: its distinct (locale, country, zone) and how many of
    # each will be messaged on each channel.
    counts = connection.execute(
        sa_select(*keys, col(Contact.channel), func.sum(case((planned, 1), else_=0)))
        .select_from(audience)
        .where(in_audience)
        .group_by(*keys, col(Contact.channel))
    ).all()
    profiles: dict[tuple[str, str, str], dict[str, Any]] = {}
    for lk, ck, tk, _, _ in counts:
        if (lk, ck, tk) not in profiles:
            profiles[(lk, ck, tk)] = {
                "lk": lk,
                "ck": ck,
                "tk": tk,
                "locale": locale_for(lk or None, ck or None, flow),
                "market": (ck or "??").upper(),
                "zone": tk if tk and is_zone(tk) else None,
            }
    tables = [_PROFILE]
    zones: list[dict[str, object]] = []
    windows: dict[tuple[str, str], tuple[datetime, datetime]] = {}
    if not ignore_windows:
        spreader = Spreader(starts_at, rates)
        #: (channel, opening) -> recipients, and the shortest of their first windows.
        slots: dict[tuple[str, datetime], tuple[int, timedelta]] = {}

        def count(channel: str, zone_name: str, market: str, recipients: int) -> None:
            key = (zone_name, market)
            if key not in windows:
                window = flow.market(market).window
                windows[key] = spreader.first_window(zone_name or None, window)
            opens, close = windows[key]
            taken, room = slots.get((channel, opens), (0, close - opens))
            slots[(channel, opens)] = (taken + recipients, min(room, close - opens))

        for lk, ck, tk, channel, recipients in counts:
            entry = profiles[(lk, ck, tk)]
            if entry["zone"] is not None and recipients:
                count(channel, entry["zone"], entry["market"], recipients)
        unusable = [key[2] for key, entry in profiles.items() if entry["zone"] is None]
        if unusable:
            # Without a usable zone of their own: read from the number, contact by contact.
            unzoned = connection.execute(
                sa_select(
                    col(Contact.id),
                    col(Contact.channel),
                    col(Contact.timezone),
                    col(Contact.country),
                    col(Contact.address),
                )
                .select_from(audience)
                .where(in_audience, planned, keys[2].in_(unusable))
            )
            for contact_id, channel, tz, country, address in unzoned:
                found = contact_zone(tz, country, address) or ""
                count(channel, found, (country or "??").upper(), 1)
                zones.append({"contact_id": contact_id, "zone": found})
        if not _fits(slots, rates):
            return False
        tables += [_ZONE, _WINDOW]
    for table in tables:
        table.create(connection)
    if profiles:
        connection.execute(insert(_PROFILE), list(profiles.values()))
    if zones:
        connection.execute(insert(_ZONE), zones)
    if windows:
        connection.execute(
            insert(_WINDOW),
            [
                {"zone": z, "market": m, "open_at": opens, "open_us": _epoch_us(opens)}
                for (z, m), (opens, _) in windows.items()
            ],
        )
    if postgres:
        # The window and order sorts of 100,000 rows stay in memory (4 MB spills to
        # disk). The joins to the scratch tables are on expressions whose selectivity
        # PostgreSQL guesses at one row: it would pick nested loops (100,000 probes,
        # a million rows filtered) where hashing the small tables is always right.
        connection.execute(text("SET LOCAL work_mem = '64MB'"))
        connection.execute(text("SET LOCAL enable_nestloop = off"))
        connection.execute(text(f"ANALYZE {', '.join(table.name for table in tables)}"))
    profile = _PROFILE.join(
        audience,
        and_(
            _PROFILE.c.lk == keys[0],
            _PROFILE.c.ck == keys[1],
            _PROFILE.c.tk == keys[2],
        ),
    )
    connection.execute(
        insert(Conversation.__table__).from_select(  # type: ignore[attr-defined]
            list(_CONVERSATION_COLUMNS),
            _conversations(
                campaign_id,
                profile,
                in_audience,
                reason,
                starts_at,
                rates,
                postgres,
                ignore_windows,
            ),
        )
    )
    if postgres:
        connection.execute(text("SET LOCAL enable_nestloop = on"))
        connection.execute(text("SET LOCAL work_mem = DEFAULT"))
    for table in reversed(tables):
        table.drop(connection)
    return True


_CONVERSATION_COLUMNS = (
    "campaign_id",
    "contact_id",
    "state",
    "skip_reason",
    "locale",
    "market",
    "send_at",
    "answers",
    "position",
    "retries",
    "steps",
)


def _conversations(
    campaign_id: int,
    profile: Join,
    in_audience: ColumnElement[bool],
    reason: ColumnElement[str | None],
    starts_at: datetime,
    rates: Mapping[str, float],
    postgres: bool,
    ignore_windows: bool,
) -> Select[Any]:
    """The SELECT behind the plan's INSERT: one row per audience contact, in contact
    order (conversation ids follow it, as they did contact by contact)."""
    if ignore_windows:
        state = case(
            (reason.is_(None), literal(str(ConversationState.PLANNED))),
            else_=literal(str(ConversationState.SKIPPED)),
        )
        at = starts_at if postgres else _sqlite_time(starts_at)
        send_at: ColumnElement[Any] = case((reason.is_(None), literal(at)), else_=null())
        return _select_conversations(campaign_id, state, reason, send_at, profile, in_audience)
    joined = _windowed(profile, reason)
    rated = {channel: rate for channel, rate in rates.items() if rate}
    rate = (
        case(
            *((col(Contact.channel) == channel, literal(r, Double)) for channel, r in rated.items())
        )
        if rated
        else null()
    )
    # Each channel's recipients whose windows open at the same instant take consecutive
    # slots in contact order, as windows.Spreader hands them out.
    slot = func.row_number().over(
        partition_by=(col(Contact.channel), _WINDOW.c.open_us), order_by=col(Contact.id)
    )
    ranked = (
        sa_select(
            col(Contact.id).label("contact_id"),
            reason.label("reason"),
            _PROFILE.c.locale,
            _PROFILE.c.market,
            _WINDOW.c.open_at,
            _WINDOW.c.open_us,
            cast(rate, Double).label("rate"),
            (slot - 1).label("slot"),
        )
        .select_from(joined)
        # A contact who joined the audience (or changed) after the scratch tables were
        # filled has no profile or window there: left out, never planned without a time.
        .where(in_audience, or_(reason.is_not(None), _WINDOW.c.open_us.is_not(None)))
        .subquery("ranked")
    )
    offset = case(
        (ranked.c.rate.is_(None), literal(0, BigInteger)),
        else_=_offset_us(cast(ranked.c.slot, Double) / ranked.c.rate, postgres),
    )
    if postgres:
        opens: ColumnElement[Any] = ranked.c.open_at + offset * literal_column(
            "INTERVAL '1 microsecond'", Interval
        )
    else:
        moment = ranked.c.open_us + offset
        # The text SQLAlchemy stores for a DateTime on SQLite (see _sqlite_time).
        seconds = func.strftime("%Y-%m-%d %H:%M:%S", moment // 1_000_000, "unixepoch", type_=String)
        opens = seconds.concat(func.printf(".%06d", moment % 1_000_000, type_=String))
    send_at = case((ranked.c.open_us.is_(None), null()), else_=opens)
    planned_state = case(
        (ranked.c.reason.is_(None), literal(str(ConversationState.PLANNED))),
        else_=literal(str(ConversationState.SKIPPED)),
    )
    return sa_select(
        literal(campaign_id),
        ranked.c.contact_id,
        planned_state,
        ranked.c.reason,
        ranked.c.locale,
        ranked.c.market,
        send_at,
        literal_column("'{}'"),
        literal(0),
        literal(0),
        literal(0),
    ).order_by(ranked.c.contact_id)


def _select_conversations(
    campaign_id: int,
    state: ColumnElement[str],
    reason: ColumnElement[str | None],
    send_at: ColumnElement[Any],
    profile: Join,
    in_audience: ColumnElement[bool],
) -> Select[Any]:
    return (
        sa_select(
            literal(campaign_id),
            col(Contact.id),
            state,
            reason,
            _PROFILE.c.locale,
            _PROFILE.c.market,
            send_at,
            literal_column("'{}'"),
            literal(0),
            literal(0),
            literal(0),
        )
        .select_from(profile)
        .where(in_audience)
        .order_by(col(Contact.id))
    )


def _skip_reason_sql() -> ColumnElement[str | None]:
    """`skip_reason` as SQL, condition for condition."""
    unreachable = col(Contact.unreachable_reason)
    return case(
        (col(Contact.forgotten_at).is_not(None), literal("asked to be forgotten")),
        (col(Contact.opted_out_at).is_not(None), literal("opted out")),
        (
            and_(unreachable.is_not(None), unreachable != ""),
            literal("unreachable: ") + unreachable,
        ),
        (
            and_(col(Contact.channel) == WHATSAPP, col(Contact.consent).is_not(True)),
            literal("no recorded WhatsApp opt-in"),
        ),
        else_=null(),
    )


def _offset_us(seconds: ColumnElement[Any], postgres: bool) -> ColumnElement[int]:
    """`windows.slot_offset` in microseconds, as SQL: CPython's timedelta(seconds=x)
    step for step (whole seconds, then the fraction's whole microseconds, then the
    leftover rounded half to even), all in IEEE doubles, so the instants match exactly."""

    def trunc(value: ColumnElement[float]) -> ColumnElement[Any]:
        return func.trunc(value) if postgres else cast(value, Integer)

    whole = trunc(seconds)
    fraction = (seconds - whole) * literal(1_000_000.0, Double)
    micros = trunc(fraction)
    leftover = fraction - micros
    counted = cast(whole * literal(1_000_000, BigInteger) + micros, BigInteger)
    half = literal(0.5, Double)
    return counted + case(
        (or_(leftover > half, and_(leftover == half, counted % 2 == 1)), 1), else_=0
    )


def _windowed(profile: Join, reason: ColumnElement[str | None]) -> Join:
    """The audience with each planned contact's first window (none for the skipped)."""
    zone_key = func.coalesce(_PROFILE.c.zone, _ZONE.c.zone)
    return profile.outerjoin(_ZONE, _ZONE.c.contact_id == col(Contact.id)).outerjoin(
        _WINDOW,
        and_(
            reason.is_(None),
            _WINDOW.c.zone == zone_key,
            _WINDOW.c.market == _PROFILE.c.market,
        ),
    )


def _fits(
    slots: Mapping[tuple[str, datetime], tuple[int, timedelta]], rates: Mapping[str, float]
) -> bool:
    """Whether each paced channel's last slot at each opening still falls inside the
    shortest first window sharing that opening: then no slot spills into a later day."""
    return all(
        slot_offset(taken - 1, rates[channel]) < room
        for (channel, _), (taken, room) in slots.items()
        if rates.get(channel)
    )


def _epoch_us(moment: datetime) -> int:
    """Microseconds since 1970 (UTC), exactly."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _plan_row_by_row(
    session: Session,
    campaign_id: int,
    flow: Flow,
    audience_tag: str,
    starts_at: datetime,
    rates: Mapping[str, float],
    ignore_windows: bool,
) -> None:
    """The plan walked contact by contact in Python: for the campaigns whose markets do
    not fit in their first window at the channel's rate (slots carried into the next
    evenings), which `plan_in_sql` leaves to it."""
    # Constants go into the statement once, not into 100,000 parameter sets (the empty
    # answers as SQL: serializing {} per row cost more than the whole time-zone work).
    constants: dict[str, object] = {
        "campaign_id": campaign_id,
        "answers": literal_column("'{}'"),
        "position": 0,
        "retries": 0,
        "steps": 0,
    }
    batch: list[dict[str, object]] = []
    locales: dict[tuple[str | None, str | None], str] = {}
    walk = _walk(session, flow, audience_tag, starts_at, rates, ignore_windows=ignore_windows)
    for contact, reason, send_at, market in walk:
        locale = locales.get((contact.locale, contact.country))
        if locale is None:
            locale = locales[(contact.locale, contact.country)] = locale_for_contact(contact, flow)
        batch.append(
            {
                "contact_id": contact.id,
                "state": ConversationState.SKIPPED if reason else ConversationState.PLANNED,
                "skip_reason": reason,
                "locale": locale,
                "market": market,
                "send_at": send_at,
            }
        )
        if len(batch) >= 5000:
            _insert_conversations(session, constants, batch)
            batch = []
    if batch:
        _insert_conversations(session, constants, batch)


def _insert_conversations(
    session: Session, constants: dict[str, object], batch: list[dict[str, object]]
) -> None:
    table = Conversation.__table__  # type: ignore[attr-defined]
    connection = session.connection()
    columns: tuple[str, ...] = (
        "campaign_id",
        "contact_id",
        "state",
        "skip_reason",
        "locale",
        "market",
    )
    columns += ("send_at", "answers", "position", "retries", "steps")
    campaign_id = constants["campaign_id"]
    if connection.dialect.name == "sqlite":
        # One prepared INSERT over the whole batch, straight to sqlite3: SQLAlchemy's
        # per-row parameter processing cost twice the insert itself. Timestamps in the
        # format SQLAlchemy stores (and reads back) for DateTime on SQLite, UTC.
        placeholders = ", ".join("?" * len(columns))
        sql = f"INSERT INTO conversation ({', '.join(columns)}) VALUES ({placeholders})"
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(
                sql,
                [
                    (
                        campaign_id,
                        row["contact_id"],
                        str(row["state"]),
                        row["skip_reason"],
                        row["locale"],
                        row["market"],
                        _sqlite_time(row["send_at"]),  # type: ignore[arg-type]
                        "{}",
                        0,
                        0,
                        0,
                    )
                    for row in batch
                ],
            )
        finally:
            cursor.close()
        return
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table).values(**constants), batch)
        return
    # PostgreSQL: COPY, in the same transaction. psycopg's executemany sends 100,000
    # INSERTs one by one (pipelined) and took longer than all the planning around it.
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f"COPY conversation ({', '.join(columns)}) FROM STDIN") as copy:
            for row in batch:
                copy.write_row(
                    (
                        campaign_id,
                        row["contact_id"],
                        str(row["state"]),
                        row["skip_reason"],
                        row["locale"],
                        row["market"],
                        row["send_at"],
                        "{}",
                        0,
                        0,
                        0,
                    )
                )
    finally:
        cursor.close()


def flow_path_finder(engine: Engine) -> Callable[[str], str | None]:
    """flow id -> the file the newest campaign of that flow was started from.

    Reads on a plain DB-API cursor: the dispatcher asks while its own transaction holds
    SQLite's write lock, and a SQLAlchemy connection here would BEGIN IMMEDIATE and wait.
    """
    mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
    query = (
        "SELECT flow_path FROM campaign WHERE flow_id = "
        f"{mark} AND flow_path IS NOT NULL ORDER BY id DESC LIMIT 1"
    )

    def find(flow_id: str) -> str | None:
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(query, (flow_id,))
            row = cursor.fetchone()
            cursor.close()
        finally:
            connection.close()
        return row[0] if row else None

    return find


def require_channels(plan: Plan, settings: Settings) -> None:
    """Refuse a campaign some of whose recipients sit on a channel that is not set up:
    their conversations would wait forever and nothing would tell the team."""
    missing = {
        channel: settings.missing_for(channel)
        for channel in sorted(plan.channels)
        if settings.missing_for(channel)
    }
    if missing:
        waiting = sum(m.recipients for m in plan.markets.values() if m.channel in missing)
        described = "; ".join(f"{ch} needs {', '.join(names)}" for ch, names in missing.items())
        raise ConfigError(
            f"not started: {waiting} recipients are on channels that are not configured "
            f"({described})"
        )


def recent(session: Session, limit: int = 50) -> list[Campaign]:
    """The newest campaigns first (`campaign list`, `/postlive list`)."""
    return list(session.exec(select(Campaign).order_by(col(Campaign.id).desc()).limit(limit)).all())


def describe(campaign: Campaign) -> str:
    """One line: id, flow, audience, show, status (and test), start."""
    starts = campaign.starts_at.isoformat(timespec="minutes") if campaign.starts_at else "-"
    status = f"{campaign.status} (test)" if campaign.is_test else campaign.status
    return (
        f"{campaign.id} · {campaign.flow_id} → {campaign.audience_tag} · {campaign.show} · "
        f"{status} · {starts}"
    )


def _sqlite_time(moment: datetime | None) -> str | None:
    """A timestamp as SQLAlchemy's SQLite DateTime stores it (UTC, no zone suffix)."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def get(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("campaign", campaign_id)
    return campaign


def set_status(
    session: Session, campaign_id: int, status: CampaignStatus, now: datetime
) -> Campaign:
    """pause, resume or stop. Stopping skips everyone not yet messaged; answers already
    in are kept, and conversations under way may still finish."""
    campaign = get(session, campaign_id)
    if campaign.status in (CampaignStatus.STOPPED, CampaignStatus.COMPLETED):
        raise NotFound("running or paused campaign", campaign_id)
    campaign.status = status
    if status == CampaignStatus.STOPPED:
        campaign.ended_at = now
        session.execute(
            update(Conversation)
            .where(
                col(Conversation.campaign_id) == campaign_id,
                col(Conversation.state) == ConversationState.PLANNED,
            )
            .values(state=ConversationState.SKIPPED, skip_reason="campaign stopped")
        )
    session.add(campaign)
    return campaign


def status_counts(session: Session, campaign_id: int) -> Mapping[tuple[str, str], int]:
    """(market, state) -> conversations."""
    rows = session.execute(
        select(Conversation.market, Conversation.state, func.count())
        .where(Conversation.campaign_id == campaign_id)
        .group_by(Conversation.market, Conversation.state)
    ).all()
    return {(m or "??", s): n for m, s, n in rows}
