"""Local send windows: when may we message someone, given their time zone and market.

Every rule here is stated in the customer's wall-clock time (19:00-21:00 in Tokyo) and
answered as a UTC instant. Instants are always compared in UTC: comparing two aware
datetimes of the same zone compares wall times, which is wrong around a daylight-saving
change. Wall times that do not exist (the spring-forward gap) open at the transition, the
first instant whose local time is at or after them; wall times that happen twice (fall
back) mean their first occurrence.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezone

from bot.flows import Window

#: Business-initiated messages that no market window governs (reminders) never go out
#: in these local hours.
DEFAULT_QUIET_HOURS = Window(start=time(22), end=time(8))


@lru_cache(maxsize=1024)
def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America" is a folder
        return ZoneInfo("UTC")


def wall_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant at which the local clock of `tz` first shows `at` on `day`.

    In the spring-forward gap that is the transition itself (02:30 on the night clocks
    jump from 02:00 to 03:00 opens at 03:00): the customer's clock passes the hour there.
    """
    naive = datetime.combine(day, at)
    before = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if before.astimezone(tz).replace(tzinfo=None) == naive:
        return before  # exists (and for a repeated hour, this is its first occurrence)
    # A gap: fold=1 reads the wall time with the offset after the change and lands before
    # the transition, fold=0 with the offset before it and lands after; bisect between.
    low, high = naive.replace(tzinfo=tz, fold=1).astimezone(UTC), before
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def _window_on(day: date, tz: ZoneInfo, window: Window) -> tuple[datetime, datetime]:
    """The window that opens on local `day`, as a UTC [start, end) pair (maybe empty)."""
    start = wall_instant(day, window.start, tz)
    end_day = day if window.end > window.start else day + timedelta(days=1)  # across midnight
    return start, wall_instant(end_day, window.end, tz)


def current_window(at: datetime, tz: str | None, window: Window) -> tuple[datetime, datetime]:
    """The window containing `at`, else the next one to open, as UTC [start, end)."""
    local_zone = zone(tz)
    today = at.astimezone(local_zone).date()
    # Yesterday's window may still be open (22:00-01:00); look at most a few days ahead,
    # since a window can be empty on a DST day (02:30-02:45 in the gap).
    for offset in range(-1, 4):
        start, end = _window_on(today + timedelta(days=offset), local_zone, window)
        if at < end and start < end:
            return start, end
    raise ValueError(
        f"no send window {window.start}-{window.end} in the next days"
    )  # pragma: no cover


def next_send_time(after: datetime, tz: str | None, window: Window) -> datetime:
    """The first instant at or after `after` that falls inside the local window (UTC).

    Built from local wall-clock dates, so a daylight-saving change moves the UTC instant
    and never the local hour the customer sees.
    """
    after = after.astimezone(UTC)
    start, _ = current_window(after, tz, window)
    return max(start, after)


def in_window(at: datetime, tz: str | None, window: Window) -> bool:
    start, end = current_window(at.astimezone(UTC), tz, window)
    return start <= at < end


def is_quiet(at: datetime, tz: str | None, quiet: Window = DEFAULT_QUIET_HOURS) -> bool:
    return in_window(at, tz, quiet)


def after_quiet(at: datetime, tz: str | None, quiet: Window = DEFAULT_QUIET_HOURS) -> datetime:
    """`at` itself, or the end of the quiet hours it falls in."""
    at = at.astimezone(UTC)
    start, end = current_window(at, tz, quiet)
    return end if start <= at else at


def reminder_time(
    last_activity: datetime,
    delay: timedelta,
    tz: str | None,
    *,
    quiet: Window = DEFAULT_QUIET_HOURS,
    service_window_closes: datetime | None = None,
) -> datetime:
    """When to send the one reminder: `delay` after the last activity, never in quiet hours.

    When the customer has written to us, WhatsApp's 24-hour service window is open until
    `service_window_closes`. If the reminder would be due in time but quiet hours push it
    past the close, it goes just before the quiet hours instead (when that is still at
    least half the delay after the last activity), so it can be a free-form message
    rather than a paid template. Otherwise it waits for the morning and takes the
    template path.
    """
    due = last_activity.astimezone(UTC) + delay
    at = after_quiet(due, tz, quiet)
    if service_window_closes is None or at < service_window_closes or due >= service_window_closes:
        return at
    quiet_start, _ = current_window(due, tz, quiet)
    earlier = quiet_start - timedelta(minutes=1)
    if earlier >= last_activity + delay / 2:
        return earlier
    return at


def slot_in_windows(
    open_at: datetime, offset: timedelta, tz: str | None, window: Window
) -> datetime:
    """The instant `offset` of window time after `open_at`, carrying what does not fit
    today's window into the next days' windows (never outside a window)."""
    start = open_at
    for _ in range(366):
        _, end = current_window(start, tz, window)
        if start + offset < end:
            return start + offset
        offset -= end - start
        start = next_send_time(end, tz, window)
    return start  # pragma: no cover - a year of windows is more than any campaign needs


class Spreader:
    """Spreads a campaign's first messages over each window at the provider's rate.

    Without it every recipient of a market would be due at the instant its window opens,
    and 50,000 Japanese intros would sit in the outbox for ten minutes while replies to
    customers who already answered queue behind them. Recipients whose window opens at
    the same instant on the same channel share that channel's sender, so they take
    consecutive slots 1/rate apart: the dispatcher starts conversations at the pace the
    sender can carry. Windows that open at different instants overlap without
    coordination; the outbox worker's token bucket still enforces the real rate there.
    """

    def __init__(self, after: datetime, rates: Mapping[str, float] | None = None) -> None:
        self.after = after.astimezone(UTC)
        self.rates = dict(rates or {})
        self._taken: dict[tuple[str, datetime], int] = {}
        #: (zone, window) -> the first window at or after `after`, as UTC [open, close).
        self._first: dict[tuple[str | None, time, time], tuple[datetime, datetime]] = {}

    def first_window(self, tz: str | None, window: Window) -> tuple[datetime, datetime]:
        """The first window of `tz` at or after the start, as UTC [open, close)."""
        key = (tz, window.start, window.end)
        first = self._first.get(key)
        if first is None:
            open_at = next_send_time(self.after, tz, window)
            first = self._first[key] = (open_at, current_window(open_at, tz, window)[1])
        return first

    def send_at(self, channel: str, tz: str | None, window: Window) -> datetime:
        open_at, close = self.first_window(tz, window)
        rate = self.rates.get(channel)
        if not rate:
            return open_at
        taken = self._taken.get((channel, open_at), 0)
        self._taken[(channel, open_at)] = taken + 1
        offset = slot_offset(taken, rate)
        if open_at + offset < close:
            return open_at + offset
        return slot_in_windows(open_at, offset, tz, window)


def slot_offset(taken: int, rate: float) -> timedelta:
    """How long after its window opens the slot `taken` (0, 1, ...) of a channel sending
    `rate` messages a second comes. timedelta rounds to microseconds (6 slots at 1/600 s
    are 3600 s, not 3599.99...); set-based planning repeats this rounding in SQL."""
    return timedelta(seconds=taken / rate)


def contact_zone(
    timezone: str | None, country: str | None = None, address: str | None = None
) -> str | None:
    """The IANA zone to read a contact's local time in: their own, else the phone
    number's, else their country's main zone; None means UTC."""
    if timezone and is_zone(timezone):
        return timezone
    if address and address.lstrip().startswith("+"):
        _, from_phone = infer_from_phone(address)
        if from_phone:
            return from_phone
    return country_zone(country) if country else None


@lru_cache(maxsize=1024)
def is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


@lru_cache(maxsize=512)
def country_zone(country: str) -> str | None:
    code = country.upper()
    if code in _MAIN_ZONE:
        return _MAIN_ZONE[code]
    example = phonenumbers.example_number(code)
    if example is None:
        return None
    zones = [z for z in phone_timezone.time_zones_for_number(example) if z != "Etc/Unknown"]
    return zones[0] if zones else None


def infer_from_phone(number: str) -> tuple[str | None, str | None]:
    """(ISO country, IANA time zone) from an E.164 number; None where unknown.

    A country with several zones (US, BR, ID...) gets the zone phonenumbers gives for the
    number's area code when there is exactly one, else the country's most populous one.
    """
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None, None
    country = phonenumbers.region_code_for_number(parsed)
    zones = [z for z in phone_timezone.time_zones_for_number(parsed) if z != "Etc/Unknown"]
    tz = zones[0] if len(zones) == 1 else _MAIN_ZONE.get(country or "", zones[0] if zones else None)
    return country, tz


#: The zone most customers of a multi-zone country live in.
_MAIN_ZONE = {
    "US": "America/New_York",
    "CA": "America/Toronto",
    "BR": "America/Sao_Paulo",
    "MX": "America/Mexico_City",
    "ID": "Asia/Jakarta",
    "RU": "Europe/Moscow",
    "AU": "Australia/Sydney",
    "CN": "Asia/Shanghai",
    "KZ": "Asia/Almaty",
    "AR": "America/Argentina/Buenos_Aires",
    "CL": "America/Santiago",
    "ES": "Europe/Madrid",
    "PT": "Europe/Lisbon",
    "GB": "Europe/London",
    "MY": "Asia/Kuala_Lumpur",
    "VN": "Asia/Ho_Chi_Minh",
}
