"""Exactly once on WhatsApp across crashes: a worker killed with SIGKILL twice in the
middle of a fan-out to 1,000 customers, restarted each time, and not one customer gets
the message twice or not at all.

Everything real but Twilio: the worker is `run_forever` in a subprocess with the real
TwilioSender (twilio SDK), the status callbacks reach the real web app (signature
checked), the database is the suite's (SQLite or PostgreSQL). The fake Twilio answers
create, list and fetch, takes 20 ms per create after accepting the message (so a kill
catches sends Twilio has and we have not recorded) and posts a signed "sent" status
callback for each message, with the StatusCallback URL it was given.

A message Twilio accepted whose worker died before recording it is recovered one of two
ways, both exercised here: its status callback names the outbox row (the key rides in
the StatusCallback URL) and records the MessageSid on it; or, when the row comes back in
doubt first, the restarted worker lists the recipient's messages at Twilio.
"""

from __future__ import annotations

import signal
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn
from sqlmodel import col, func, select

from bot import outbox
from bot.bootstrap import App
from bot.db import session_scope
from bot.messages import Channel, Outbound
from bot.models import Outbox, OutboxStatus
from bot.settings import Settings
from bot.web import create_app
from tests.integration.scale.test_crash_safety import (
    expire_leases,
    start_worker,
    statuses,
    stop,
    wait_for,
)
from tests.integration.whatsapp.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

PUBLIC = "https://postlive.example.com"
RECIPIENTS = 1000


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        media_dir=str(tmp_path / "media"),
        public_base_url=PUBLIC,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,  # type: ignore[arg-type]
        twilio_whatsapp_from="whatsapp:+14155238886",
    )


@pytest.fixture
def web(app: App) -> Iterator[str]:
    """The web app on a local port: where Twilio's status callbacks arrive."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(app), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, "the web app")
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def queue_intros(app: App) -> list[str]:
    now = datetime.now(UTC) - timedelta(seconds=1)
    numbers = [f"+4915100{i:05d}" for i in range(RECIPIENTS)]
    with session_scope(app.engine) as session:
        for i, number in enumerate(numbers):
            message = Outbound(Channel.WHATSAPP, number, f"Hi {i}, how was the show? 1-5")
            outbox.enqueue(session, f"intro:{i}", message, kind="intro:overall", now=now)
    return numbers


def orphans(app: App, twilio: FakeTwilio) -> int:
    """Rows left `sending` without a MessageSid whose message Twilio has: what a kill
    leaves for the callbacks and lookups to reconcile."""
    accepted = {m.to.removeprefix("whatsapp:") for m in twilio.messages}
    with session_scope(app.engine) as session:
        rows = session.exec(
            select(Outbox.address).where(
                Outbox.status == OutboxStatus.SENDING, col(Outbox.provider_id).is_(None)
            )
        ).all()
    return sum(1 for address in rows if address in accepted)


def recorded(app: App) -> int:
    with session_scope(app.engine) as session:
        return session.exec(select(func.count()).where(col(Outbox.provider_id).is_not(None))).one()


@pytest.mark.timeout(180)
def test_whatsapp_fanout_killed_twice_reaches_everyone_exactly_once(
    app: App, database_url: str, web: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    numbers = queue_intros(app)
    with FakeTwilio(latency=0.02, callbacks_to=(PUBLIC, web)) as twilio:
        common = ("--twilio", twilio.base_url, "--public-base-url", PUBLIC)
        common += ("--concurrency", "32")
        go = [tmp_path / "second", tmp_path / "third"]
        # Each restart is a fresh process, imported and built ahead of time.
        workers = [start_worker(database_url, "", *common)]
        workers += [start_worker(database_url, "", *common, "--start-when", g) for g in go]
        caught: list[int] = []
        try:
            for kill, (worker, share) in enumerate(zip(workers, (1 / 3, 2 / 3), strict=False)):
                wait_for(lambda s=share: len(twilio.messages) >= RECIPIENTS * s, "fan-out", worker)
                worker.send_signal(signal.SIGKILL)
                worker.wait(10)
                caught.append(orphans(app, twilio))
                expire_leases(app)  # the dead worker's claims run out
                go[kill].touch()
            everyone = lambda: statuses(app).get(OutboxStatus.SENT) == RECIPIENTS  # noqa: E731
            wait_for(everyone, "the drain", workers[2])
        finally:
            for worker in workers[:2]:
                worker.kill()
            errors = stop(workers[2])
        wait_for(lambda: sum(twilio.callbacks.values()) >= len(twilio.messages), "callbacks")
        answered = dict(twilio.callbacks)

    received = [m.to.removeprefix("whatsapp:") for m in twilio.messages]
    lost = set(numbers) - set(received)
    duplicated = len(received) - len(set(received))
    with capsys.disabled():
        print(
            f"\nWhatsApp fan-out to {RECIPIENTS:,}, SIGKILL twice: {len(lost)} lost, "
            f"{duplicated} duplicated; {sum(caught)} messages Twilio had and the outbox had "
            f"not recorded at the kills ({caught}), all reconciled "
            f"[{app.engine.dialect.name}]"
        )
    assert statuses(app) == {OutboxStatus.SENT: RECIPIENTS}, errors
    assert lost == set()
    assert duplicated == 0, errors
    assert twilio.duplicates() == 0
    # The kills did catch sends in the gap this test is about.
    assert sum(caught) > 0
    assert recorded(app) == RECIPIENTS
    assert set(answered) == {200}  # every status callback was accepted
