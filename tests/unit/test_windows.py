"""Local send windows across time zones and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.flows import Window
from bot.windows import (
    Spreader,
    contact_zone,
    in_window,
    is_quiet,
    next_send_time,
    reminder_time,
    wall_instant,
)

EVENING = Window.parse("19:00-21:00")
NEW_YORK, BERLIN, TOKYO = "America/New_York", "Europe/Berlin", "Asia/Tokyo"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def local(instant: datetime, tz: str) -> str:
    return instant.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z")


def test_a_campaign_started_at_3am_in_japan_waits_for_the_japanese_evening() -> None:
    three_am_tokyo = at("2026-11-24 18:00")
    send = next_send_time(three_am_tokyo, TOKYO, EVENING)
    assert local(send, TOKYO) == "2026-11-25 19:00 JST"


def test_inside_the_window_the_message_goes_now() -> None:
    eight_pm_new_york = at("2026-11-25 01:00")
    assert next_send_time(eight_pm_new_york, NEW_YORK, EVENING) == eight_pm_new_york


def test_one_start_reaches_each_market_at_its_own_evening() -> None:
    start = at("2026-11-25 02:30")  # 21:30 in New York: its window just closed
    assert local(next_send_time(start, NEW_YORK, EVENING), NEW_YORK) == "2026-11-25 19:00 EST"
    assert local(next_send_time(start, TOKYO, EVENING), TOKYO) == "2026-11-25 19:00 JST"
    sea = Window.parse("19:00-20:00")
    jakarta = next_send_time(start, "Asia/Jakarta", sea)
    assert local(jakarta, "Asia/Jakarta") == "2026-11-25 19:00 WIB"


@pytest.mark.parametrize(
    ("tz", "day_before", "expected_utc_before", "expected_utc_after"),
    [
        # US spring forward (8 March 2026): 19:00 EST is 00:00 UTC, 19:00 EDT is 23:00 UTC.
        (NEW_YORK, "2026-03-07 12:00", "2026-03-08 00:00", "2026-03-08 23:00"),
        # US fall back (1 November 2026).
        (NEW_YORK, "2026-10-31 12:00", "2026-10-31 23:00", "2026-11-02 00:00"),
        # EU spring forward (29 March 2026) and fall back (25 October 2026).
        (BERLIN, "2026-03-28 12:00", "2026-03-28 18:00", "2026-03-29 17:00"),
        (BERLIN, "2026-10-24 12:00", "2026-10-24 17:00", "2026-10-25 18:00"),
    ],
)
def test_the_local_hour_stays_put_across_a_daylight_saving_change(
    tz: str, day_before: str, expected_utc_before: str, expected_utc_after: str
) -> None:
    first = next_send_time(at(day_before), tz, EVENING)
    second = next_send_time(first + timedelta(hours=3), tz, EVENING)
    assert first == at(expected_utc_before)
    assert second == at(expected_utc_after)
    assert first.astimezone(ZoneInfo(tz)).hour == second.astimezone(ZoneInfo(tz)).hour == 19


def test_a_window_start_in_the_skipped_hour_opens_when_the_clock_jumps() -> None:
    """02:30 does not exist in New York on 8 March 2026: the clock goes 01:59 -> 03:00."""
    early = Window.parse("02:30-04:00")
    send = next_send_time(at("2026-03-08 05:00"), NEW_YORK, early)  # 00:00 EST
    assert send == at("2026-03-08 07:00")
    assert local(send, NEW_YORK) == "2026-03-08 03:00 EDT"
    assert wall_instant(send.date(), early.start, ZoneInfo(NEW_YORK)) == send


def test_a_window_entirely_inside_the_skipped_hour_moves_to_the_next_day() -> None:
    lost = Window.parse("02:10-02:40")
    send = next_send_time(at("2026-03-08 05:00"), NEW_YORK, lost)
    assert local(send, NEW_YORK) == "2026-03-09 02:10 EDT"


def test_a_repeated_hour_means_its_first_occurrence() -> None:
    """01:30 happens twice in New York on 1 November 2026 (EDT, then EST)."""
    night = Window.parse("01:30-03:00")
    send = next_send_time(at("2026-11-01 04:00"), NEW_YORK, night)  # 00:00 EDT
    assert send == at("2026-11-01 05:30")
    assert local(send, NEW_YORK) == "2026-11-01 01:30 EDT"


def test_a_window_across_midnight_is_open_after_midnight() -> None:
    late = Window.parse("22:00-01:00")
    half_past_midnight = at("2026-01-01 05:30")  # 00:30 EST
    assert in_window(half_past_midnight, NEW_YORK, late)
    assert next_send_time(half_past_midnight, NEW_YORK, late) == half_past_midnight
    two_am = at("2026-01-01 07:00")
    assert local(next_send_time(two_am, NEW_YORK, late), NEW_YORK) == "2026-01-01 22:00 EST"


def test_a_large_market_is_spread_over_its_window_at_the_provider_rate() -> None:
    spreader = Spreader(at("2026-11-24 18:00"), {"whatsapp": 10.0})
    times = [spreader.send_at("whatsapp", TOKYO, EVENING) for _ in range(1000)]
    assert local(times[0], TOKYO) == "2026-11-25 19:00 JST"
    assert times[1] - times[0] == timedelta(seconds=0.1)
    assert times[-1] - times[0] == timedelta(seconds=99.9)
    assert all(in_window(t, TOKYO, EVENING) for t in times)


def test_a_market_larger_than_its_window_continues_the_next_evening() -> None:
    one_hour = Window.parse("19:00-20:00")
    spreader = Spreader(at("2026-11-24 18:00"), {"telegram": 1 / 600})  # 6 an hour
    times = [spreader.send_at("telegram", TOKYO, one_hour) for _ in range(8)]
    assert [local(t, TOKYO)[5:] for t in times] == [
        "11-25 19:00 JST",
        "11-25 19:10 JST",
        "11-25 19:20 JST",
        "11-25 19:30 JST",
        "11-25 19:40 JST",
        "11-25 19:50 JST",
        "11-26 19:00 JST",
        "11-26 19:10 JST",
    ]


def test_channels_and_windows_opening_at_different_times_do_not_share_slots() -> None:
    spreader = Spreader(at("2026-11-24 18:00"), {"whatsapp": 1.0, "telegram": 1.0})
    first_whatsapp = spreader.send_at("whatsapp", TOKYO, EVENING)
    first_telegram = spreader.send_at("telegram", TOKYO, EVENING)
    first_berlin = spreader.send_at("whatsapp", BERLIN, EVENING)
    assert first_whatsapp == first_telegram
    assert local(first_berlin, BERLIN) == "2026-11-24 19:00 CET"
    assert spreader.send_at("whatsapp", TOKYO, EVENING) - first_whatsapp == timedelta(seconds=1)


def test_without_a_rate_everyone_gets_the_window_start() -> None:
    spreader = Spreader(at("2026-11-24 18:00"))
    assert len({spreader.send_at("whatsapp", TOKYO, EVENING) for _ in range(5)}) == 1


def test_the_zone_comes_from_the_contact_then_the_phone_number_then_the_country() -> None:
    assert contact_zone("Asia/Bangkok", "TH", "+66812345678") == "Asia/Bangkok"
    assert contact_zone(None, None, "+81312345678") == TOKYO
    assert contact_zone(None, "DE", None) == BERLIN
    assert contact_zone("Not/AZone", "JP", None) == TOKYO
    assert contact_zone(None, "US", None) == NEW_YORK
    assert contact_zone(None, None, "chat-12345") is None


def test_quiet_hours_hold_the_reminder_until_morning() -> None:
    # Last activity 01:00 New York time; 20 hours later is 21:00, then 22:00-08:00 is quiet.
    last = at("2026-11-25 06:00")
    due = reminder_time(last, timedelta(hours=21, minutes=30), NEW_YORK)
    assert local(due, NEW_YORK) == "2026-11-26 08:00 EST"
    assert is_quiet(at("2026-11-26 04:00"), NEW_YORK)
    assert not is_quiet(due, NEW_YORK)


def test_a_reminder_due_by_day_goes_at_its_delay() -> None:
    last = at("2026-11-25 01:00")  # 20:00 in New York, the intro
    due = reminder_time(last, timedelta(hours=20), NEW_YORK)
    assert local(due, NEW_YORK) == "2026-11-25 16:00 EST"


def test_a_reminder_moves_before_the_quiet_hours_to_stay_inside_the_24_hour_window() -> None:
    # The customer wrote at 01:00; the reminder is due at 23:00, in quiet hours; waiting
    # for 08:00 would be past 01:00 next day, when WhatsApp's service window closes.
    last = at("2026-11-25 06:00")  # 01:00 EST
    due = reminder_time(
        last,
        timedelta(hours=22),
        NEW_YORK,
        service_window_closes=last + timedelta(hours=24),
    )
    assert local(due, NEW_YORK) == "2026-11-25 21:59 EST"
