"""Every HTTP entry point faces the open internet: garbage, forgeries, replays, odd
Unicode and huge bodies must get a clear 4xx, never a 500, and store nothing forged,
while everything valid is stored exactly as the customer wrote it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlmodel import func, select
from starlette.testclient import TestClient
from twilio.request_validator import RequestValidator

from bot.bootstrap import App, build
from bot.clock import FrozenClock
from bot.db import session_scope
from bot.models import InboundEvent
from bot.settings import Settings
from bot.web import create_app
from tests.handling import HandlingTestClient
from tests.integration.slack.fake_slack import FakeSlack
from tests.integration.slack.support import sign as slack_sign

PUBLIC = "https://postlive.example.com"
TOKEN = "twilio-auth-token-for-tests"
SECRET = "telegram-secret"
SLACK_SECRET = "slack-signing-secret"
ENDPOINTS = (
    "/webhooks/whatsapp",
    "/webhooks/whatsapp/status",
    "/webhooks/telegram",
    "/slack/events",
    "/healthz",
    "/metrics",
    "/nowhere",
)
CONTENT_TYPES = (
    "application/x-www-form-urlencoded",
    "application/json",
    "text/plain",
    "multipart/form-data; boundary=x",
    "application/x-www-form-urlencoded; charset=latin-1",
    "",
)

#: What customers really send, and what attackers try: RTL Arabic with marks, ZWJ
#: families, combining accents, NULs, SQL, HTML and Slack/Markdown markup.
ODD = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        [
            "\u200fاللون مختلف عن البث المباشر\u200e!",
            "👨‍👩‍👧‍👦👍🏽🏳️‍🌈",
            "e\u0301e\u0301\u0327 Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇",
            "'; DROP TABLE answer; --",
            "<script>alert(1)</script> <@U0ADMIN> <!channel> *bold* `code`",
            "null\x00byte",
            "\ufeffBOM and \u2028 line separator",
            "A" * 5000,
        ]
    ),
)


@pytest.fixture(scope="module")
def fake_slack() -> Iterator[FakeSlack]:
    server = FakeSlack()
    server.start()
    yield server
    server.stop()


class World(tuple):  # type: ignore[type-arg]
    """(app, client) with a short repr: hypothesis prints it on every failure."""

    def __repr__(self) -> str:
        return "World(app, client)"


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, fake_slack: FakeSlack
) -> Iterator[tuple[App, TestClient]]:
    tmp: Path = tmp_path_factory.mktemp("adversarial")
    configured = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{tmp / 'postlive.db'}",
        public_base_url=PUBLIC,
        media_dir=str(tmp / "media"),
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token=SecretStr(TOKEN),
        twilio_whatsapp_from="whatsapp:+14155238886",
        twilio_api_url="http://127.0.0.1:9",  # never called: nothing is delivered here
        telegram_bot_token=SecretStr("123456:ABC-test-token"),
        telegram_webhook_secret=SecretStr(SECRET),
        telegram_api_url="http://127.0.0.1:9",
        slack_bot_token=SecretStr(fake_slack.token),
        slack_signing_secret=SecretStr(SLACK_SECRET),
        slack_api_url=fake_slack.api_url,
        max_body_bytes=64 * 1024,
    )
    from datetime import UTC, datetime

    app = build(configured, clock=FrozenClock(datetime(2026, 11, 25, 1, tzinfo=UTC)))
    with HandlingTestClient(
        create_app(app), base_url=PUBLIC, raise_server_exceptions=False, intake=app.intake
    ) as client:
        yield World((app, client))
    app.engine.dispose()


def events(app: App) -> int:
    with session_scope(app.engine) as session:
        return session.exec(select(func.count()).select_from(InboundEvent)).one()


def twilio_post(
    client: TestClient,
    form: dict[str, str],
    *,
    path: str = "/webhooks/whatsapp",
    signature: str | None = None,
) -> int:
    body = urlencode(form)
    if signature is None:
        signature = RequestValidator(TOKEN).compute_signature(PUBLIC + path, form)
    return client.post(
        path,
        content=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        },
    ).status_code


_sids = iter(range(10**9))


def message(text: str) -> dict[str, str]:
    return {
        "MessageSid": f"SM{next(_sids):032x}",
        "AccountSid": "AC" + "0" * 32,
        "From": "whatsapp:+4915112345678",
        "To": "whatsapp:+14155238886",
        "Body": text,
        "NumMedia": "0",
        "ProfileName": "Jürgen",
    }


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(ENDPOINTS),
    body=st.one_of(st.binary(max_size=2000), st.text(max_size=500).map(str.encode)),
    content_type=st.sampled_from(CONTENT_TYPES),
    forged=st.sampled_from(["", "forged", "v0=deadbeef", "AAAA"]),
)
def test_garbage_and_forgeries_never_get_a_500_and_store_nothing(
    world: tuple[App, TestClient], path: str, body: bytes, content_type: str, forged: str
) -> None:
    app, client = world
    before = events(app)
    headers = {
        "Content-Type": content_type,
        "X-Twilio-Signature": forged,
        "X-Telegram-Bot-Api-Secret-Token": forged,
        "X-Slack-Signature": forged,
        "X-Slack-Request-Timestamp": str(int(time.time())),
    }
    response = client.post(path, content=body, headers=headers)
    assert response.status_code < 500, (path, body[:80], response.text[:200])
    assert events(app) == before


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=ODD)
def test_whatever_a_customer_writes_is_stored_exactly_once_and_verbatim(
    world: tuple[App, TestClient], text: str
) -> None:
    app, client = world
    form = message(text)
    assert twilio_post(client, form) == 200
    assert twilio_post(client, form) == 200  # Twilio retried: acknowledged, ignored
    with session_scope(app.engine) as session:
        stored = session.exec(
            select(InboundEvent).where(InboundEvent.external_id == form["MessageSid"])
        ).all()
    assert len(stored) == 1
    # NUL cannot be stored (PostgreSQL) nor shown: dropped; a blank message has no text.
    kept = text.replace("\x00", "")
    assert stored[0].payload["text"] == (kept if kept.strip() else None)


def test_a_tampered_parameter_or_a_wrong_url_is_refused(world: tuple[App, TestClient]) -> None:
    app, client = world
    form = message("5")
    good = RequestValidator(TOKEN).compute_signature(PUBLIC + "/webhooks/whatsapp", form)
    before = events(app)
    assert twilio_post(client, {**form, "Body": "1"}, signature=good) == 403
    wrong_url = RequestValidator(TOKEN).compute_signature(
        "http://internal:8000/webhooks/whatsapp", form
    )
    assert twilio_post(client, form, signature=wrong_url) == 403
    assert events(app) == before


def test_a_replayed_slack_request_older_than_five_minutes_is_refused(
    world: tuple[App, TestClient],
) -> None:
    _, client = world
    body = urlencode(
        {
            "command": "/postlive",
            "text": "help",
            "user_id": "U1",
            "channel_id": "C1",
            "team_id": "T1",
            "response_url": "http://127.0.0.1:9/r",
            "trigger_id": "1.2",
        }
    ).encode()
    stale = slack_sign(body, timestamp=int(time.time()) - 6 * 60, secret=SLACK_SECRET)
    response = client.post(
        "/slack/events",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", **stale},
    )
    assert response.status_code == 401


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ODD,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
updates = st.fixed_dictionaries(
    {"update_id": st.one_of(st.integers(), st.text(max_size=5))},
    optional={"message": json_values, "callback_query": json_values, "my_chat_member": json_values},
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(update=st.one_of(updates, json_values))
def test_telegram_updates_of_any_shape_get_a_clear_answer(
    world: tuple[App, TestClient], update: object
) -> None:
    _, client = world
    response = client.post(
        "/webhooks/telegram",
        content=json.dumps(update),
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"},
    )
    assert response.status_code in (200, 400, 422), response.text[:200]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=ODD, command=st.sampled_from(["", "start", "status", "stop", "digest", "nonsense", "loop"])
)
def test_signed_slack_commands_with_any_text_never_fail(
    world: tuple[App, TestClient], text: str, command: str
) -> None:
    _, client = world
    body = urlencode(
        {
            "command": "/postlive",
            "text": f"{command} {text}",
            "user_id": "U1",
            "channel_id": "C0OPS",
            "team_id": "T1",
            "response_url": "http://127.0.0.1:9/r",
            "trigger_id": "1.2",
        }
    ).encode()
    response = client.post(
        "/slack/events",
        content=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            **slack_sign(body, secret=SLACK_SECRET),
        },
    )
    assert response.status_code == 200


def test_a_huge_webhook_body_gets_413(world: tuple[App, TestClient]) -> None:
    app, client = world
    before = events(app)
    form = message("x" * (70 * 1024))
    assert twilio_post(client, form) == 413
    assert events(app) == before
