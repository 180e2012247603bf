"""Answers acknowledged but not yet handled survive a SIGKILL of the server and keep
their order: after the restart the pending answers are handled before the newer ones
that arrive at once, so every answer is stored under the question it answered."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlmodel import func, select
from twilio.request_validator import RequestValidator

from bot.bootstrap import App
from bot.db import session_scope
from bot.models import Answer, Contact, Conversation, InboundEvent
from tests.conftest import add_contact
from tests.integration.whatsapp.fake_twilio import FakeTwilio
from tests.integration.whatsapp.support import SENDER, start_campaign

pytestmark = pytest.mark.timeout(900)

CUSTOMERS = 30
#: overall (rating), product (second choice), problems (first choice): a reordered
#: pair would store "2" as the rating or "4" as a product, which the check catches.
ANSWERS = ("4", "2", "1")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def customer(i: int) -> str:
    return f"+1212555{i:04d}"


class Server:
    """`postlive serve` in its own process, as deployed (no outbox worker: replies wait)."""

    def __init__(self, app: App, twilio: FakeTwilio, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        settings = app.settings
        self.env = {
            **os.environ,
            "DATABASE_URL": settings.database_url,
            "PUBLIC_BASE_URL": self.url,
            "TWILIO_ACCOUNT_SID": twilio.account_sid,
            "TWILIO_AUTH_TOKEN": twilio.auth_token,
            "TWILIO_WHATSAPP_FROM": SENDER,
            "TWILIO_API_URL": twilio.base_url,
            "MEDIA_DIR": str(workdir / "media"),
            "LOG_LEVEL": "WARNING",
        }
        self.workdir = workdir
        self.validator = RequestValidator(twilio.auth_token)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *extra: str) -> None:
        command = [
            str(Path(sys.executable).with_name("postlive")),
            "serve",
            "--no-worker",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            *extra,
        ]
        self.process = subprocess.Popen(command, cwd=self.workdir, env=self.env)  # noqa: S603
        deadline = time.monotonic() + 240  # a busy machine starts slowly
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("postlive serve did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    async def answer_all(self, step: int) -> None:
        """Every customer's answer number `step`, all at once, one connection each."""

        async def one(i: int) -> None:
            sid = f"SM{step:02x}{i:030x}"
            form = {
                "MessageSid": sid,
                "SmsMessageSid": sid,
                "AccountSid": "AC" + "0" * 32,
                "From": f"whatsapp:{customer(i)}",
                "To": SENDER,
                "Body": ANSWERS[step],
                "NumMedia": "0",
            }
            signature = self.validator.compute_signature(f"{self.url}/webhooks/whatsapp", form)
            async with httpx.AsyncClient(base_url=self.url, timeout=30) as client:
                response = await client.post(
                    "/webhooks/whatsapp", data=form, headers={"X-Twilio-Signature": signature}
                )
            assert response.status_code == 200, response.text

        await asyncio.gather(*(one(i) for i in range(CUSTOMERS)))


def pending(app: App) -> int:
    with session_scope(app.engine) as session:
        return session.exec(
            select(func.count()).select_from(InboundEvent).where(InboundEvent.status == "received")
        ).one()


async def until_all_handled(app: App, expected: int) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        with session_scope(app.engine) as session:
            handled = session.exec(
                select(func.count())
                .select_from(InboundEvent)
                .where(InboundEvent.status == "handled")
            ).one()
        if handled >= expected:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{handled} of {expected} events handled")


@pytest.mark.parametrize("first_server", ["acks only", "acks and handles"])
async def test_answers_pending_at_a_sigkill_are_handled_first_and_stored_in_order(
    app: App, twilio: FakeTwilio, tmp_path: Path, first_server: str
) -> None:
    for i in range(CUSTOMERS):
        add_contact(app, customer(i))
    await start_campaign(app, pool_size=CUSTOMERS)
    server = Server(app, twilio, tmp_path)
    try:
        # First answers acknowledged; the server dies before (all of) them are handled.
        server.start(*(["--no-inbound"] if first_server == "acks only" else []))
        await server.answer_all(0)
        server.kill()
        left = pending(app)
        if first_server == "acks only":
            assert left == CUSTOMERS  # acknowledged = durably recorded, nothing handled
        # Restart; everyone's next answers arrive at once, then the ones after.
        server.start()
        await server.answer_all(1)
        await server.answer_all(2)
        await until_all_handled(app, 3 * CUSTOMERS)
    finally:
        server.stop()

    with session_scope(app.engine) as session:
        stored = session.exec(
            select(Contact.address, Answer.question_id, Answer.raw_text)
            .join(Conversation, Conversation.id == Answer.conversation_id)
            .join(Contact, Contact.id == Conversation.contact_id)
        ).all()
    by_customer: dict[str, dict[str, str | None]] = {}
    for address, question, raw in stored:
        by_customer.setdefault(address, {})[question] = raw
    expected = {"overall": "4", "product": "2", "problems": "1"}
    wrong = {a: got for a, got in by_customer.items() if got != expected}
    assert len(by_customer) == CUSTOMERS
    assert not wrong, f"{len(wrong)} customers with answers under the wrong question: {wrong}"
