"""Local send windows: when may we message someone, given their time zone and market."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezone

from bot.flows import Window


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America" is a folder
        return ZoneInfo("UTC")


def next_send_time(after: datetime, tz: str | None, window: Window) -> datetime:
    """The first instant at or after `after` that falls inside the local window (UTC).

    Built from local wall-clock dates, so a daylight-saving change moves the UTC instant
    and never the local hour the customer sees.
    """
    local_zone = zone(tz)
    local = after.astimezone(local_zone)
    for day in range(3):
        date = (local + timedelta(days=day)).date()
        start = datetime.combine(date, window.start, tzinfo=local_zone)
        end = datetime.combine(date, window.end, tzinfo=local_zone)
        if end <= start:  # a window across midnight, e.g. 22:00-01:00
            end += timedelta(days=1)
        # Round-trip through UTC so a wall time that does not exist (spring forward) moves
        # to the real instant after the gap.
        start = start.astimezone(UTC).astimezone(local_zone)
        if local < start:
            return start.astimezone(UTC)
        if local < end:
            return after.astimezone(UTC)
    return after.astimezone(UTC)  # unreachable for a valid window


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
