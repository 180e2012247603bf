"""The plan stored by one INSERT ... SELECT is the plan walked contact by contact.

`campaigns.start` writes a campaign's conversations set-based (`plan_in_sql`); the
contact-by-contact walk (`_plan_row_by_row`, the way plans were stored before, still
used when slots spill into later windows) is the reference. A mixed audience (zones
stored, missing, invalid or read from the number; locales and countries missing or
odd; opted out, forgotten, unreachable, without consent; two channels at paced rates)
must come out the same: who, in what state and locale, in which market, at what instant.
Runs on SQLite, and on PostgreSQL with POSTLIVE_TEST_DATABASE_URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import BigInteger, Double, cast, literal, select

from bot import campaigns
from bot.bootstrap import App
from bot.db import session_scope
from bot.models import AudienceMember, Campaign, CampaignStatus, Contact, Conversation
from bot.windows import slot_offset

#: 03:00 in Tokyo, 13:00 in New York, 19:00 in Berlin (its window is open).
START = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)

#: (channel, address, locale, country, timezone)
KINDS: list[tuple[str, str, str | None, str | None, str | None]] = [
    ("whatsapp", "+1212555{n:04d}", "en-US", "US", "America/New_York"),
    ("whatsapp", "+1415555{n:04d}", None, "US", "America/Los_Angeles"),
    ("whatsapp", "+8190{n:08d}", "ja", "JP", "Asia/Tokyo"),
    ("whatsapp", "+62812{n:07d}", "id", "ID", None),  # zone from the number
    ("whatsapp", " +4915123{n:05d}", "", "DE", ""),  # zone from the number, spaced
    ("whatsapp", "+5511{n:09d}", "pt-BR", "br", "Not/AZone"),  # invalid zone, lower case
    ("whatsapp", "+33612{n:06d}", "xx-YY", "FR", "Europe/Paris"),  # unknown locale
    ("whatsapp", "+96650{n:07d}", None, None, None),  # nothing but the number
    ("telegram", "{n}", "es-MX", "MX", "America/Mexico_City"),
    ("telegram", "{n}", None, "TH", None),  # zone from the country
    ("telegram", "{n}", None, None, None),  # UTC, market "??"
    ("telegram", "{n}", "vi", "VN", "America"),  # a zone folder, not a zone
]


def seed(app: App, people: int, tag: str = "show") -> None:
    """`people` contacts of every kind, a few of them not to be messaged, and some
    contacts outside the audience."""
    with session_scope(app.engine) as session:
        for n in range(people):
            channel, address, locale, country, tz = KINDS[n % len(KINDS)]
            contact = Contact(
                channel=channel,
                address=address.format(n=n + 10_000),
                locale=locale,
                country=country,
                timezone=tz,
                consent=n % 17 != 5,
                opted_out_at=START if n % 23 == 4 else None,
                forgotten_at=START if n % 41 == 9 else None,
                unreachable_reason=("blocked" if n % 29 == 2 else "" if n % 29 == 3 else None),
                created_at=START,
            )
            session.add(contact)
            session.flush()
            session.add(AudienceMember(tag=tag if n % 10 else "other", contact_id=contact.id))


def new_campaign(app: App, tag: str) -> int:
    with session_scope(app.engine) as session:
        campaign = Campaign(
            flow_id="post-live",
            audience_tag=tag,
            show=tag,
            status=CampaignStatus.RUNNING,
            starts_at=START,
            created_at=START,
        )
        session.add(campaign)
        session.flush()
        assert campaign.id is not None
        return campaign.id


def stored(app: App, campaign_id: int) -> list[tuple[Any, ...]]:
    """The campaign's conversations in id order: contact, state, reason, locale, market,
    send time (UTC)."""
    with session_scope(app.engine) as session:
        rows = session.execute(
            select(
                Conversation.contact_id,
                Conversation.state,
                Conversation.skip_reason,
                Conversation.locale,
                Conversation.market,
                Conversation.send_at,
            )
            .where(Conversation.campaign_id == campaign_id)
            .order_by(Conversation.id)  # type: ignore[arg-type]
        ).all()
    return [(*row[:5], _utc(row[5])) for row in rows]


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def both_ways(
    app: App, rates: Mapping[str, float], *, ignore_windows: bool = False, starts: datetime = START
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], bool]:
    flow = app.flows["post-live"]
    walked, in_sql = new_campaign(app, "show"), new_campaign(app, "show")
    with session_scope(app.engine) as session:
        campaigns._plan_row_by_row(session, walked, flow, "show", starts, rates, ignore_windows)
    with session_scope(app.engine) as session:
        done = campaigns.plan_in_sql(session, in_sql, flow, "show", starts, rates, ignore_windows)
    return stored(app, walked), stored(app, in_sql), done


@pytest.mark.parametrize(
    "rates",
    [
        {"whatsapp": 64.0, "telegram": 24.0},  # the default planning rates
        {"whatsapp": 3.0, "telegram": 0.7},  # slot lengths that are no whole microsecond
        {"whatsapp": 7.3},  # telegram unpaced: everyone at the window's opening
    ],
)
def test_the_set_based_plan_is_the_contact_by_contact_plan(
    app: App, rates: Mapping[str, float]
) -> None:
    seed(app, 600)
    walked, in_sql, done = both_ways(app, rates)

    assert done
    assert in_sql == walked
    # The audience is mixed as intended: both states, every reason, several markets,
    # zones read from numbers, and paced slots within one opening.
    assert len(walked) == 540
    assert {row[1] for row in walked} == {"planned", "skipped"}
    reasons = {row[2] for row in walked if row[2]}
    assert {"opted out", "asked to be forgotten", "unreachable: blocked"} <= reasons
    assert "no recorded WhatsApp opt-in" in reasons
    assert {"US", "JP", "ID", "DE", "BR", "??"} <= {row[4] for row in walked}
    assert len({row[3] for row in walked}) >= 5
    opens = [row[5] for row in walked if row[1] == "planned"]
    assert len(set(opens)) > 100  # spread, not all at one instant
    assert all(row[5] is None for row in walked if row[1] == "skipped")


def test_overriding_the_windows_sends_everyone_planned_at_the_start(app: App) -> None:
    seed(app, 120)
    walked, in_sql, done = both_ways(app, {"whatsapp": 64.0}, ignore_windows=True)

    assert done
    assert in_sql == walked
    assert {row[5] for row in walked if row[1] == "planned"} == {START}


def test_a_start_inside_open_windows_plans_from_the_start_itself(app: App) -> None:
    seed(app, 240)
    inside = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)  # 20:30 in New York
    walked, in_sql, done = both_ways(app, {"whatsapp": 5.0, "telegram": 2.0}, starts=inside)

    assert done
    assert in_sql == walked
    assert inside in {row[5] for row in walked}


def test_slots_spilling_into_the_next_evening_are_left_to_the_walk(app: App) -> None:
    seed(app, 120)
    slow = {"whatsapp": 0.0005, "telegram": 0.0005}  # one every 2000 s: 4 fit in 2 hours
    walked, in_sql, done = both_ways(app, slow)

    assert not done
    assert in_sql == []
    with session_scope(app.engine) as session:
        campaign = campaigns.start(
            session, app.flows["post-live"], "show", START, START, rates=slow
        )
    started = stored(app, campaign.id or 0)
    assert [row[1:] for row in started] == [row[1:] for row in walked]
    japan = sorted(row[5] for row in walked if row[4] == "JP" and row[5])
    assert japan[-1] - japan[0] > timedelta(hours=20)  # carried into the next evening


def test_an_audience_nobody_is_in_plans_nothing(app: App) -> None:
    seed(app, 12)
    campaign_id = new_campaign(app, "nobody")
    with session_scope(app.engine) as session:
        done = campaigns.plan_in_sql(
            session, campaign_id, app.flows["post-live"], "nobody", START, {"whatsapp": 1.0}
        )
    assert done
    assert stored(app, campaign_id) == []


@pytest.mark.parametrize("rate", [64.0, 24.0, 3.0, 0.7, 7.3, 1 / 600, 1e6 / 7, 12.5])
def test_slot_offsets_in_sql_round_like_python(app: App, rate: float) -> None:
    """The SQL offset is CPython's timedelta(seconds=k / rate), to the microsecond."""
    numbers = select(literal(0).label("k")).cte("numbers", recursive=True)
    numbers = numbers.union_all(select((numbers.c.k + 1).label("k")).where(numbers.c.k < 3999))
    with session_scope(app.engine) as session:
        postgres = session.connection().dialect.name == "postgresql"
        offset = campaigns._offset_us(cast(numbers.c.k, Double) / literal(rate, Double), postgres)
        rows = session.execute(
            select(numbers.c.k, cast(offset, BigInteger)).order_by(numbers.c.k)
        ).all()
    assert len(rows) == 4000
    assert [(k, us) for k, us in rows] == [
        (k, slot_offset(k, rate) // timedelta(microseconds=1)) for k in range(4000)
    ]
