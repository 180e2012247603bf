"""A US evening show and a Southeast Asian one: every customer hears from us at a good
local hour, is reminded once, and the campaign closes with its final digest triggered.

Real engine, database, dispatcher and outbox; the simulator stands in for WhatsApp and
the clock is moved by hand."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from rich.console import Console
from sqlmodel import select

from adapters.simulator import SimulatorChannel
from bot import campaigns, coupons
from bot.bootstrap import App
from bot.db import session_scope
from bot.models import Campaign, CampaignStatus, Contact, Conversation, ConversationState
from bot.status import campaign_report
from tests.conftest import add_contact, deliver, say

ALICE, BOB, CAROL = "+12125550101", "+12125550102", "+12125550103"
KENJI, SARI = "+81312345678", "+6281234567890"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def start(app: App, tag: str = "show-1") -> int:
    with session_scope(app.engine) as session:
        coupons.generate(session, "post-live", 10, prefix="T-")
        campaign = campaigns.start(
            session, app.flows["post-live"], tag, app.clock.now(), app.clock.now(), show="Knits"
        )
        assert campaign.id is not None
        return campaign.id


def tick(app: App) -> dict[str, int]:
    done = app.dispatcher.run_once()
    deliver(app)
    return done


def conversation(app: App, address: str) -> Conversation:
    with session_scope(app.engine) as session:
        contact = session.exec(select(Contact).where(Contact.address == address)).one()
        return session.exec(select(Conversation).where(Conversation.contact_id == contact.id)).one()


def local(instant: datetime | None, tz: str) -> str:
    assert instant is not None
    return instant.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).strftime("%d %H:%M")


def add_markets(app: App) -> None:
    add_contact(app, ALICE)
    add_contact(app, KENJI, locale="ja", country="JP", timezone="Asia/Tokyo")
    # No time zone on file: read from the Indonesian phone number.
    add_contact(app, SARI, locale="id", country="ID", timezone=None)  # type: ignore[arg-type]


def test_each_market_hears_from_us_in_its_own_evening(
    app: App, simulator: SimulatorChannel
) -> None:
    app.clock.set(at("2026-11-24 18:00"))  # 13:00 New York, 03:00 Tokyo, 01:00 Jakarta
    add_markets(app)
    campaign_id = start(app)

    assert tick(app)["started"] == 0
    assert local(conversation(app, ALICE).send_at, "America/New_York") == "24 19:00"
    assert local(conversation(app, KENJI).send_at, "Asia/Tokyo") == "25 19:00"
    assert local(conversation(app, SARI).send_at, "Asia/Jakarta") == "25 19:00"
    with session_scope(app.engine) as session:
        report = campaign_report(session, campaign_id)
    assert report.markets["JP"].scheduled == 1
    assert report.markets["JP"].next_send_local == "Wed 25 Nov 19:00 JST"

    app.clock.set(at("2026-11-25 00:00"))  # 19:00 New York
    tick(app)
    assert simulator.last(ALICE) is not None
    assert simulator.last(KENJI) is None and simulator.last(SARI) is None

    app.clock.set(at("2026-11-25 10:00"))  # 19:00 Tokyo
    tick(app)
    assert simulator.last(KENJI) is not None and simulator.last(SARI) is None

    app.clock.set(at("2026-11-25 12:00"))  # 19:00 Jakarta
    tick(app)
    assert simulator.last(SARI) is not None

    say(app, KENJI, "5")
    with session_scope(app.engine) as session:
        report = campaign_report(session, campaign_id)
    assert {m: (s.planned, s.scheduled, s.sent, s.started) for m, s in report.markets.items()} == {
        "US": (1, 0, 1, 0),
        "JP": (1, 0, 1, 1),
        "ID": (1, 0, 1, 0),
    }
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(report.render())
    assert "next send (local)" in console.export_text()
    assert simulator.duplicates == 0


def test_a_worker_down_through_the_evening_waits_for_the_next_one(
    app: App, simulator: SimulatorChannel
) -> None:
    app.clock.set(at("2026-11-24 18:00"))
    add_contact(app, KENJI, locale="ja", country="JP", timezone="Asia/Tokyo")
    start(app)

    app.clock.set(at("2026-11-25 13:30"))  # 22:30 Tokyo: due since 19:00, window closed
    assert tick(app)["started"] == 0
    assert simulator.last(KENJI) is None
    assert local(conversation(app, KENJI).send_at, "Asia/Tokyo") == "26 19:00"

    app.clock.set(at("2026-11-26 10:00"))
    assert tick(app)["started"] == 1
    assert simulator.last(KENJI) is not None


def test_one_reminder_to_who_has_not_started_or_not_finished_then_expiry_and_the_end(
    app: App, simulator: SimulatorChannel
) -> None:
    ended: list[int] = []
    app.dispatcher.on_campaign_end = ended.append
    app.clock.set(at("2026-11-25 00:00"))  # 19:00 New York
    for address in (ALICE, BOB, CAROL):
        add_contact(app, address)
    campaign_id = start(app)
    tick(app)
    app.clock.set(at("2026-11-25 00:10"))
    say(app, BOB, "4")  # started, will not finish
    for answer in ("5", "1", "1", "skip"):
        say(app, CAROL, answer)  # finished
    assert conversation(app, CAROL).state == ConversationState.COMPLETED

    app.clock.set(at("2026-11-25 20:00"))  # 20 hours after the intro: 15:00 in New York
    assert tick(app)["reminded"] == 1
    reminder = simulator.last(ALICE)
    assert reminder is not None and reminder.kind == "reminder:overall"
    # Business-initiated: it carries the approved template for the WhatsApp adapter.
    assert reminder.business_initiated and reminder.template is not None
    assert reminder.template.ref == "HX00000000000000000000000000020002"
    assert simulator.last(BOB) is not None and simulator.last(BOB).kind != "reminder:product"

    app.clock.set(at("2026-11-25 20:11"))  # 20 hours after Bob's answer
    assert tick(app)["reminded"] == 1
    assert simulator.last(BOB).kind.startswith("reminder:")  # type: ignore[union-attr]
    assert len(simulator.transcripts[CAROL]) == 5  # intro, 3 questions, thank-you: no reminder

    app.clock.set(at("2026-11-26 12:00"))
    assert tick(app)["reminded"] == 0  # once only
    assert ended == []

    app.clock.set(at("2026-11-28 20:11"))  # 72 hours after the last message (the reminder)
    done = tick(app)
    assert done["expired"] == 2 and done["finished"] == 1
    assert conversation(app, ALICE).state == ConversationState.EXPIRED
    assert ended == [campaign_id]
    with session_scope(app.engine) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None and campaign.status == CampaignStatus.COMPLETED
    assert tick(app)["finished"] == 0 and ended == [campaign_id]
    assert simulator.duplicates == 0


def test_a_reminder_due_in_quiet_hours_goes_before_them_while_whatsapp_still_allows_it(
    app: App, simulator: SimulatorChannel
) -> None:
    app.clock.set(at("2026-11-25 00:00"))
    add_contact(app, BOB)
    start(app)
    tick(app)
    app.clock.set(at("2026-11-25 07:30"))  # Bob answers at 02:30 at night
    say(app, BOB, "4")
    app.clock.set(at("2026-11-25 20:00"))  # 20 hours after the intro: too early for Bob
    assert tick(app)["reminded"] == 0
    # Due at 22:30 (quiet); his 24-hour window closes at 02:30, before quiet hours end:
    # the reminder goes at 21:59 instead of 08:00 the morning after.
    assert local(conversation(app, BOB).send_at, "America/New_York") == "25 21:59"

    app.clock.set(at("2026-11-26 02:58"))
    assert tick(app)["reminded"] == 0
    app.clock.set(at("2026-11-26 02:59"))
    assert tick(app)["reminded"] == 1
    assert simulator.last(BOB).kind.startswith("reminder:")  # type: ignore[union-attr]


def test_an_overdue_reminder_found_in_quiet_hours_waits_for_the_morning(
    app: App, simulator: SimulatorChannel
) -> None:
    app.clock.set(at("2026-11-25 00:00"))
    add_contact(app, ALICE)
    start(app)
    tick(app)
    app.clock.set(at("2026-11-26 04:00"))  # due at 15:00, but the worker was down: 23:00
    assert tick(app)["reminded"] == 0
    assert local(conversation(app, ALICE).send_at, "America/New_York") == "26 08:00"
    app.clock.set(at("2026-11-26 13:00"))  # 08:00 New York
    assert tick(app)["reminded"] == 1
