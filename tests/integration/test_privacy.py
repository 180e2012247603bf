"""A customer's personal data can be forgotten, and the team's exports carry none."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from adapters.simulator import SimulatorChannel
from bot import digest
from bot.bootstrap import App
from bot.cli import app as cli
from bot.db import session_scope
from bot.messages import Media
from bot.models import Answer, Campaign, Contact, InboundEvent, Outbox
from bot.privacy import find_contacts, forget, purge_expired
from tests.conftest import add_contact, say
from tests.integration.test_survey_journey import start_campaign

ALICE = "+12125550101"


def answer_everything(app: App, tmp_path: Path) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff fake jpeg")
    say(app, ALICE, "4")
    say(app, ALICE, "3")
    say(app, ALICE, "damaged")
    say(app, ALICE, "My name is Alice Smith, the box was crushed")
    say(app, ALICE, media=(Media("https://x.test/p.jpg", "image/jpeg", str(photo)),))


def test_forgetting_a_customer_erases_who_they_are_but_keeps_the_figures(
    app: App, simulator: SimulatorChannel, tmp_path: Path
) -> None:
    add_contact(app, ALICE)
    campaign_id = start_campaign(app)
    answer_everything(app, tmp_path)
    with session_scope(app.engine) as session:
        (contact,) = find_contacts(session, f"whatsapp:{ALICE}")
        report = forget(session, contact, app.clock.now())
    assert report.files_deleted == 1 and not (tmp_path / "photo.jpg").exists()
    with session_scope(app.engine) as session:
        assert session.exec(select(Contact).where(Contact.address == ALICE)).first() is None
        assert session.exec(select(InboundEvent).where(InboundEvent.address == ALICE)).all() == []
        assert all(ALICE not in row.address for row in session.exec(select(Outbox)).all())
        answers = {a.question_id: a for a in session.exec(select(Answer)).all()}
        campaign = session.get(Campaign, campaign_id)
        figures = digest.build(session, campaign, app.flows["post-live"])  # type: ignore[arg-type]
    assert answers["overall"].value == "4"
    assert answers["improve"].value is None and answers["improve"].raw_text is None
    assert answers["photo"].media == []
    assert figures.total.ratings[4] == 1


def test_a_forgotten_customer_is_never_messaged_again(
    app: App, simulator: SimulatorChannel
) -> None:
    add_contact(app, ALICE)
    start_campaign(app)
    with session_scope(app.engine) as session:
        (contact,) = find_contacts(session, ALICE)
        forget(session, contact, app.clock.now())
    sent = sum(len(t) for t in simulator.transcripts.values())
    app.clock.advance(hours=30)
    app.dispatcher.run_once()
    from tests.conftest import deliver

    deliver(app)
    assert sum(len(t) for t in simulator.transcripts.values()) == sent


def test_old_personal_data_is_purged_after_the_retention(
    app: App, simulator: SimulatorChannel
) -> None:
    add_contact(app, ALICE)
    start_campaign(app)
    say(app, ALICE, "5")
    later = app.clock.now() + timedelta(days=400)
    with session_scope(app.engine) as session:
        report = purge_expired(session, later, retention_days=365)
    assert report.contacts == 1 and report.events >= 1
    with session_scope(app.engine) as session:
        assert session.exec(select(Contact).where(Contact.address == ALICE)).first() is None


def test_export_gives_answers_without_phone_numbers(
    app: App, simulator: SimulatorChannel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_contact(app, ALICE)
    campaign_id = start_campaign(app)
    answer_everything(app, tmp_path)
    monkeypatch.setenv("DATABASE_URL", app.settings.database_url)
    out = tmp_path / "answers.jsonl"
    result = CliRunner().invoke(
        cli, ["export", str(campaign_id), "--format", "jsonl", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["question_id"] for r in rows] == [
        "overall",
        "product",
        "problems",
        "improve",
        "photo",
    ]
    assert rows[3]["original"] == "My name is Alice Smith, the box was crushed"
    assert ALICE not in out.read_text(encoding="utf-8")
    csv_out = tmp_path / "answers.csv"
    result = CliRunner().invoke(cli, ["export", str(campaign_id), "--out", str(csv_out)])
    assert result.exit_code == 0 and csv_out.read_text(encoding="utf-8").startswith("campaign_id,")


def test_forget_cli_names_an_unknown_address_in_one_line(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", app.settings.database_url)
    result = CliRunner().invoke(cli, ["contacts", "forget", "+19999999999"])
    assert result.exit_code == 1
    assert "no contact '+19999999999'" in result.output


def test_a_customer_who_asks_to_delete_their_data_is_asked_then_forgotten_on_yes(
    app: App, simulator: SimulatorChannel, tmp_path: Path
) -> None:
    add_contact(app, "+5511987654321", locale="pt-BR", country="BR", timezone="America/Sao_Paulo")
    app.clock.advance(hours=21)
    start_campaign(app)
    say(app, "+5511987654321", "4")
    say(app, "+5511987654321", "Quero apagar meus dados, por favor")
    from bot.phrases import phrase

    question = simulator.last("+5511987654321")
    assert question is not None
    assert question.text == phrase("forget_ask", "pt-BR", shop="Luna Live Shop")
    assert "SIM" in question.text
    with session_scope(app.engine) as session:
        assert len(find_contacts(session, "+5511987654321")) == 1  # nothing erased yet
    say(app, "+5511987654321", "Sim.")
    goodbye = simulator.last("+5511987654321")
    assert goodbye is not None
    assert goodbye.text == phrase("forget_confirm", "pt-BR", shop="Luna Live Shop")
    with session_scope(app.engine) as session:
        assert find_contacts(session, "+5511987654321") == []
        assert session.exec(select(InboundEvent)).all() == []
        (answer,) = session.exec(select(Answer)).all()
    assert answer.value == "4"  # the anonymous rating still counts


def test_a_negated_request_is_not_asked_about_and_erases_nothing(
    app: App, simulator: SimulatorChannel
) -> None:
    from bot.phrases import phrase

    add_contact(app, ALICE, locale="en-US")
    start_campaign(app)
    say(app, ALICE, "5")
    say(app, ALICE, "Please don't delete my data, I want my coupon")
    texts = [m.text for m in simulator.transcripts[ALICE]]
    assert phrase("forget_ask", "en-US", shop="Luna Live Shop") not in texts
    say(app, ALICE, "yes")
    with session_scope(app.engine) as session:
        (contact,) = find_contacts(session, ALICE)
        assert contact.forgotten_at is None


@pytest.mark.parametrize(
    ("locale", "request_text", "reply"),
    [
        ("en-US", "delete my data", "no"),
        ("de", "Bitte löschen Sie meine Daten", "nein, doch nicht"),
        ("ja", "データを削除してください", "いいえ"),
    ],
)
def test_anything_but_the_confirmation_word_erases_nothing(
    app: App, simulator: SimulatorChannel, locale: str, request_text: str, reply: str
) -> None:
    add_contact(app, ALICE, locale=locale)
    start_campaign(app)
    say(app, ALICE, "5")
    say(app, ALICE, request_text)
    from bot.phrases import phrase

    assert simulator.last(ALICE).text == phrase("forget_ask", locale, shop="Luna Live Shop")  # type: ignore[union-attr]
    say(app, ALICE, reply)
    texts = [m.text for m in simulator.transcripts[ALICE]]
    assert phrase("forget_kept", locale) in texts
    assert phrase("forget_confirm", locale, shop="Luna Live Shop") not in texts
    say(app, ALICE, "yes")  # too late: the question was cancelled
    with session_scope(app.engine) as session:
        (contact,) = find_contacts(session, ALICE)
        assert contact.forgotten_at is None
        assert session.exec(select(Answer)).first() is not None


def test_a_yes_a_day_after_the_question_erases_nothing(
    app: App, simulator: SimulatorChannel
) -> None:
    add_contact(app, ALICE)
    start_campaign(app)
    say(app, ALICE, "delete my data")
    app.clock.advance(hours=25)
    say(app, ALICE, "yes")
    with session_scope(app.engine) as session:
        (contact,) = find_contacts(session, ALICE)
    assert contact.forgotten_at is None


@pytest.mark.parametrize(
    ("typed", "country"),
    [
        ("+1 (212) 555-0101", None),
        ("whatsapp:+12125550101", None),
        ("(212) 555-0101", "US"),
        ("212.555.0101", "us"),
    ],
)
def test_forget_finds_a_phone_number_in_any_format(
    app: App, typed: str, country: str | None
) -> None:
    add_contact(app, ALICE)
    with session_scope(app.engine) as session:
        (contact,) = find_contacts(session, typed, country)
    assert contact.address == ALICE


def test_forget_finds_an_email_and_a_telegram_chat_id(app: App) -> None:
    from bot.messages import Channel

    add_contact(app, "-1001234567890", channel=Channel.TELEGRAM)
    add_contact(app, ALICE)
    with session_scope(app.engine) as session:
        alice = session.exec(select(Contact).where(Contact.address == ALICE)).one()
        alice.email = "Alice.Smith@Example.com"
        session.add(alice)
    with session_scope(app.engine) as session:
        (by_mail,) = find_contacts(session, "alice.smith@example.com")
        (by_chat,) = find_contacts(session, "-1001234567890")
    assert by_mail.address == ALICE and by_chat.channel == "telegram"


def test_forget_cli_takes_a_national_number_with_its_country(
    app: App, simulator: SimulatorChannel, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_contact(app, "+5511987654321", locale="pt-BR", country="BR")
    monkeypatch.setenv("DATABASE_URL", app.settings.database_url)
    monkeypatch.setenv("MEDIA_DIR", app.settings.media_dir)
    unknown = CliRunner().invoke(cli, ["contacts", "forget", "(11) 98765-4321"])
    assert unknown.exit_code == 1 and "--country" in unknown.output
    result = CliRunner().invoke(cli, ["contacts", "forget", "(11) 98765-4321", "--country", "BR"])
    assert result.exit_code == 0, result.output
    with session_scope(app.engine) as session:
        assert find_contacts(session, "+5511987654321") == []
