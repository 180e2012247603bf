"""Erasure leaves nothing: two customers answer the survey with free text, a photo and a
voice note, the answers are analysed (translations, transcripts and photo descriptions
cached), then one is forgotten by `postlive contacts forget`, the other by their own
confirmed request. Their numbers, names and words are then searched for in the database
(every text and JSON column, on SQLite and PostgreSQL), in SQLite's files read as bytes
(main file and -wal: SQLite only) and in the media folder: nothing is found."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import JSON, String, Text, inspect, text
from sqlmodel import select
from typer.testing import CliRunner

from adapters.simulator import SimulatorChannel
from bot.analysis.runner import analyze_pending_now
from bot.bootstrap import App, build
from bot.cli import app as cli
from bot.clock import FrozenClock
from bot.db import session_scope
from bot.messages import Channel, Media, Outbound
from bot.models import AnalysisCache, Answer, Contact, Outbox
from bot.phrases import phrase
from bot.privacy import finish_erasures
from bot.settings import Settings
from tests.conftest import add_contact, deliver, say
from tests.integration.analysis.fake_openai import FakeOpenAI
from tests.integration.test_survey_journey import start_campaign

ANA = "+5511987654321"  # WhatsApp, Brazil: forgotten by the command
ANA_TYPED = "+55 11 98765-4321"
JONAS = "735551234"  # Telegram chat id, Germany: forgotten at their own request
ANA_WORDS = ("Xylocarpa", "caixa amassada pelo carteiro Quixadá", "Ana Beatriz Souza")
JONAS_WORDS = ("Zwiebelturm", "Karton zerdrückt vom Boten Quendelweg", "Jonas Weber")
#: What the photo and the voice note contain (the fake model describes and transcribes it).
ANA_PHOTO = b"\xff\xd8\xff PHOTO:crushed box from Xylocarpa street"
JONAS_VOICE = b"OggS SAY:voice of Quendelweg saying Zwiebelturm is broken"


class TelegramLikeChannel(SimulatorChannel):
    """Answers with a provider id the way the Telegram sender does ("chat_id:message_id")."""

    async def send(self, message: Outbound, *, key: str) -> str:
        sent = await super().send(message, key=key)
        return f"{message.address}:{sent.removeprefix('SIM')}"


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def app(settings: Settings, clock: FrozenClock, fake_openai: FakeOpenAI) -> Iterator[App]:
    configured = settings.model_copy(
        update={
            "openai_api_key": SecretStr("sk-test"),
            "openai_base_url": fake_openai.base_url,
            "openai_model": "gpt-4.1-mini",
            "postlive_analyzer": "openai",
        }
    )
    channel = TelegramLikeChannel()
    senders = {Channel.WHATSAPP: channel, Channel.TELEGRAM: channel}
    application = build(configured, clock=clock, senders=senders)
    yield application
    application.engine.dispose()


def _media_file(app: App, name: str, data: bytes) -> str:
    path = Path(app.settings.media_dir) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return str(path)


def _answer_the_survey(app: App) -> None:
    def ana(text: str | None = None, **kw: object) -> None:
        say(app, ANA, text, profile_name="Ana Beatriz Souza", **kw)  # type: ignore[arg-type]

    def jonas(text: str | None = None, **kw: object) -> None:
        say(app, JONAS, text, channel=Channel.TELEGRAM, profile_name="Jonas Weber", **kw)  # type: ignore[arg-type]

    ana("2")
    ana("3")
    ana("damaged")
    ana("A caixa chegou amassada, o carteiro Quixadá jogou no portão da rua Xylocarpa")
    photo = _media_file(app, "whatsapp/SMphoto-0-aaaa.jpg", ANA_PHOTO)
    ana(media=(Media("https://api.twilio.com/p/ME1", "image/jpeg", photo),))
    app.clock.advance(hours=19)  # 18:00 in Berlin: Jonas's intro goes now
    app.dispatcher.run_once()
    deliver(app)
    jonas("1")
    jonas("3")
    jonas("damaged")
    voice = _media_file(app, "telegram/voice-0-bbbb.ogg", JONAS_VOICE)
    jonas(media=(Media("tg-file:voice1", "audio/ogg", voice),))
    jonas("skip")
    with session_scope(app.engine) as session:
        (text_answer,) = session.exec(
            select(Answer).where(Answer.question_id == "improve", Answer.raw_text != None)  # noqa: E711
        ).all()
        voice_answers = [a for a in session.exec(select(Answer)).all() if a.media]
    assert "Xylocarpa" in (text_answer.raw_text or "")
    assert len(voice_answers) == 2  # Ana's photo, Jonas's voice note


def _needles() -> list[bytes]:
    words = [ANA, ANA.removeprefix("+"), JONAS, *ANA_WORDS, *JONAS_WORDS]
    found: list[bytes] = []
    for word in words:
        found.append(word.encode("utf-8"))
        found.append(json.dumps(word)[1:-1].encode("ascii"))  # as a JSON column spells it
    return list(dict.fromkeys(found))


def _sql_scan(app: App, needles: list[bytes]) -> list[str]:
    """Every text, string and JSON column of every table, searched with SQL."""
    hits: list[str] = []
    inspector = inspect(app.engine)
    columns = [
        (table, column["name"])
        for table in inspector.get_table_names()
        for column in inspector.get_columns(table)
        if isinstance(column["type"], String | Text | JSON)
    ]
    assert ("analysiscache", "result") in columns and ("contact", "address") in columns
    with app.engine.connect() as conn:
        for table, name in columns:
            for needle in needles:
                # ESCAPE '!': PostgreSQL would read the backslash of "\u00e1" as an escape.
                word = needle.decode("utf-8")
                word = word.replace("!", "!!").replace("%", "!%").replace("_", "!_")
                count = conn.execute(
                    text(
                        f'SELECT count(*) FROM "{table}" '
                        f"WHERE CAST(\"{name}\" AS TEXT) LIKE :p ESCAPE '!'"
                    ),
                    {"p": f"%{word}%"},
                ).scalar_one()
                if count:
                    hits.append(f"{table}.{name} holds {needle!r}")
    return hits


def _file_scan(paths: list[Path], needles: list[bytes]) -> list[str]:
    hits = []
    for path in paths:
        data = path.read_bytes() + str(path).encode("utf-8")
        hits += [f"{path.name} holds {n!r}" for n in needles if n in data]
    return hits


def test_two_forgotten_customers_leave_nothing_in_the_database_files_or_media(
    app: App, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_contact(app, ANA, locale="pt-BR", country="BR", timezone="America/Sao_Paulo")
    add_contact(
        app, JONAS, locale="de", country="DE", timezone="Europe/Berlin", channel=Channel.TELEGRAM
    )
    app.clock.advance(hours=21)  # 19:00 in São Paulo: Ana's intro goes now
    start_campaign(app)
    _answer_the_survey(app)
    run = analyze_pending_now(app)
    assert run.analyzed >= 3
    needles = _needles()
    with session_scope(app.engine) as session:
        cached = json.dumps([row.result for row in session.exec(select(AnalysisCache)).all()])
        provider_ids = [row.provider_id or "" for row in session.exec(select(Outbox)).all()]
    assert "Quendelweg" in cached and "Xylocarpa" in cached  # transcript and description
    assert any(p.startswith(JONAS) for p in provider_ids)
    assert _sql_scan(app, needles)  # the scan finds them before the erasure
    if app.engine.dialect.name == "sqlite":
        database = Path(app.engine.url.database or "")
        wal = database.parent / (database.name + "-wal")
        assert _file_scan([database, wal], needles)  # and so does the raw-file scan

    # Ana: by the team's command, in the format she gave on the phone.
    monkeypatch.setenv("DATABASE_URL", app.settings.database_url)
    monkeypatch.setenv("MEDIA_DIR", app.settings.media_dir)
    result = CliRunner().invoke(cli, ["contacts", "forget", ANA_TYPED])
    assert result.exit_code == 0, result.output
    assert "forgot contact" in result.output

    # Jonas: asks himself, is asked back in German, confirms with "ja".
    say(app, JONAS, "Bitte löschen Sie meine Daten", channel=Channel.TELEGRAM)
    sim = app.senders[Channel.TELEGRAM]
    assert isinstance(sim, SimulatorChannel)
    assert sim.last(JONAS).text == phrase("forget_ask", "de", shop="Luna Live Shop")  # type: ignore[union-attr]
    with session_scope(app.engine) as session:
        assert session.exec(select(Contact).where(Contact.address == JONAS)).first() is not None
    say(app, JONAS, "Ja!", channel=Channel.TELEGRAM)
    assert sim.last(JONAS).text == phrase("forget_confirm", "de", shop="Luna Live Shop")  # type: ignore[union-attr]
    finish_erasures(app.engine)  # the worker's job: the goodbye left, scrub it

    assert _sql_scan(app, needles) == []
    media = [p for p in Path(app.settings.media_dir).rglob("*") if p.is_file()]
    assert _file_scan(media, needles) == []
    if app.engine.dialect.name == "sqlite":  # raw files exist only for SQLite
        # Read while the server's connections are open: closing the last one would
        # checkpoint and delete the -wal file itself, and prove nothing.
        database = Path(app.engine.url.database or "")
        files = [database] + [p for p in database.parent.glob(database.name + "-*") if p.is_file()]
        assert any(p.name.endswith("-wal") for p in files)
        assert _file_scan(files, needles) == []
    with session_scope(app.engine) as session:
        ratings = sorted(
            a.value for a in session.exec(select(Answer)).all() if a.question_id == "overall"
        )
    assert ratings == ["1", "2"]  # the anonymous figures still count
