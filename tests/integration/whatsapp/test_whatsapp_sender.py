"""The sender on its own: WhatsApp's limits, Twilio's errors, our pacing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import SecretStr
from twilio.http.response import Response

from adapters.whatsapp import sender as build_sender
from adapters.whatsapp.client import retry_after
from adapters.whatsapp.render import MAX_BODY, choice_lines, content_variables, split_body
from adapters.whatsapp.sender import TwilioSender
from bot.errors import DeliveryError, OutsideWindow, RateLimited, TransientDeliveryError
from bot.messages import Channel, Choice, Outbound, Template
from bot.settings import Settings
from tests.integration.whatsapp.fake_twilio import FakeTwilio
from tests.integration.whatsapp.support import ALICE, STATUS

pytestmark = pytest.mark.timeout(60)


def whatsapp_sender(settings: Settings) -> TwilioSender:
    built = build_sender(settings)
    assert built is not None
    return built


def message(text: str, **kw: object) -> Outbound:
    return Outbound(channel=Channel.WHATSAPP, address=ALICE, text=text, **kw)  # type: ignore[arg-type]


async def test_a_long_text_goes_out_in_parts_twilio_accepts(
    settings: Settings, twilio: FakeTwilio
) -> None:
    text = "\n\n".join(f"Paragraph {n}: " + "word " * 120 for n in range(8))
    sid = await whatsapp_sender(settings).send(message(text), key="k1")
    parts = twilio.sent_to(ALICE)
    assert len(parts) == 4 and sid == parts[-1].sid
    assert all(p.body and len(p.body) <= MAX_BODY for p in parts)
    assert " ".join(p.body or "" for p in parts).split() == text.split()


async def test_a_refused_first_part_is_retried_after_retry_after(
    settings: Settings, twilio: FakeTwilio
) -> None:
    sender = whatsapp_sender(settings)
    text = "🙂" * 1500  # 3,000 UTF-16 units: two parts
    twilio.refuse_next(1, retry_after="7")
    with pytest.raises(RateLimited) as refused:
        await sender.send(message(text), key="k2")
    assert refused.value.retry_after == 7.0
    assert twilio.messages == []
    await sender.send(message(text), key="k2")
    assert [len(m.body or "") for m in twilio.sent_to(ALICE)] == [800, 700]


async def test_after_a_refused_second_part_only_that_part_is_sent_again(
    settings: Settings, twilio: FakeTwilio
) -> None:
    sender = whatsapp_sender(settings)
    text = "a " * 1200  # two parts
    twilio.refuse_next(1, status=503, code=20503, message="busy", retry_after=None, after=1)
    with pytest.raises(TransientDeliveryError):
        await sender.send(message(text), key="k3")
    await sender.send(message(text), key="k3")
    assert len(twilio.sent_to(ALICE)) == 2 and twilio.duplicates() == 0
    assert len(twilio.create_requests()) == 3


async def test_window_closed_at_once_falls_back_to_the_template(
    settings: Settings, twilio: FakeTwilio
) -> None:
    sender = whatsapp_sender(settings)
    twilio.refuse_next(1, status=400, code=63016, message="Outside window", retry_after=None)
    template = Template("HX" + "1" * 32, {"show": "Winter Knits"})
    sid = await sender.send(message("Hi!", template=template), key="k4")
    [sent] = twilio.sent_to(ALICE)
    assert sent.sid == sid and sent.content_sid == template.ref
    twilio.refuse_next(1, status=400, code=63016, message="Outside window", retry_after=None)
    with pytest.raises(OutsideWindow):
        await sender.send(message("Hi again"), key="k5")


async def test_an_unknown_client_error_is_a_delivery_error_the_outbox_retries_bounded(
    settings: Settings, twilio: FakeTwilio
) -> None:
    twilio.refuse_next(
        1, status=400, code=21656, message="ContentVariables invalid", retry_after=None
    )
    with pytest.raises(DeliveryError) as error:
        await whatsapp_sender(settings).send(message("x"), key="k6")
    assert "21656" in str(error.value) and type(error.value) is DeliveryError


async def test_a_dead_api_is_a_transient_error(settings: Settings) -> None:
    dead = settings.model_copy(update={"twilio_api_url": "http://127.0.0.1:9"})
    with pytest.raises(TransientDeliveryError):
        await whatsapp_sender(dead).send(message("x"), key="k7")


async def test_wrong_credentials_are_reported_not_hidden(
    settings: Settings, twilio: FakeTwilio
) -> None:
    wrong = settings.model_copy(update={"twilio_auth_token": SecretStr("nope")})
    with pytest.raises(DeliveryError, match="20003"):
        await whatsapp_sender(wrong).send(message("x"), key="k8")
    assert twilio.messages == []


async def test_a_messaging_service_can_stand_for_the_sender(
    settings: Settings, twilio: FakeTwilio
) -> None:
    service = settings.model_copy(update={"twilio_whatsapp_from": "MG" + "2" * 32})
    await whatsapp_sender(service).send(message("x"), key="k9")
    [sent] = twilio.messages
    assert sent.messaging_service_sid == "MG" + "2" * 32 and sent.from_ is None


async def test_no_status_callback_to_a_local_base_url(
    settings: Settings, twilio: FakeTwilio
) -> None:
    local = settings.model_copy(update={"public_base_url": "http://localhost:8000"})
    await whatsapp_sender(local).send(message("x"), key="k10")
    assert twilio.messages[0].status_callback is None


async def test_the_status_callback_names_the_outbox_row(
    settings: Settings, twilio: FakeTwilio
) -> None:
    await whatsapp_sender(settings).send(message("Hi"), key="conv:7:0:0")
    callback = twilio.messages[0].status_callback
    assert callback is not None and callback.startswith(STATUS + "?")
    assert parse_qs(urlsplit(callback).query) == {"outbox": ["conv:7:0:0"]}


async def test_lookup_finds_the_accepted_message_and_nothing_else(
    settings: Settings, twilio: FakeTwilio
) -> None:
    sender = whatsapp_sender(settings)
    before = datetime.now(UTC) - timedelta(seconds=5)
    first = await sender.send(message("How was the show?"), key="k20")
    await sender.send(message("What did you buy?"), key="k21")
    assert await sender.lookup(message("How was the show?"), key="k20", since=before) == [first]
    assert await sender.lookup(message("Never sent"), key="k22", since=before) == []
    later = datetime.now(UTC) + timedelta(minutes=5)
    assert await sender.lookup(message("How was the show?"), key="k20", since=later) == []
    # The SDK asked Twilio by recipient and time, as documented.
    listed = [r for r in twilio.requests if r.method == "GET" and r.path.endswith("Messages.json")]
    assert listed and listed[0].form["To"] == [f"whatsapp:{ALICE}"]
    assert "DateSent>" in listed[0].form


async def test_outbox_concurrency_sends_are_in_flight_at_once(settings: Settings) -> None:
    with FakeTwilio(hold_until_in_flight=24) as slow:
        config = settings.model_copy(
            update={"twilio_api_url": slow.base_url, "outbox_concurrency": 24}
        )
        sender = whatsapp_sender(config)
        await asyncio.gather(*(sender.send(message(f"Hi {n}"), key=f"k-{n}") for n in range(24)))
    # Not 6 (the SDK's default pool on two cores) nor the default thread pool's size.
    assert slow.max_in_flight == 24


# -- pure parts ------------------------------------------------------------------------


def test_choices_become_a_numbered_list_and_ratings_keep_their_numbers() -> None:
    picks = (Choice("product:love", "Love it"), Choice("product:meh", "Not for me"))
    assert choice_lines(picks) == ["1. Love it", "2. Not for me"]
    stars = (Choice("overall:5", "5 ⭐⭐⭐⭐⭐"), Choice("overall:4", "4 ⭐⭐⭐⭐"))
    assert choice_lines(stars) == ["5 ⭐⭐⭐⭐⭐", "4 ⭐⭐⭐⭐"]


def test_split_counts_what_twilio_counts_and_never_cuts_a_character() -> None:
    assert split_body("short") == ["short"]
    assert split_body("") == [""]
    emoji = split_body("😀" * 1000)  # 2,000 UTF-16 units
    assert [len(p) for p in emoji] == [800, 200]
    assert "".join(emoji) == "😀" * 1000
    words = split_body("x" * 1700)
    assert [len(p) for p in words] == [1600, 100]


def test_template_variables_are_numbered_in_the_engine_order() -> None:
    assert content_variables({"show": "Winter Knits"}) == {"1": "Winter Knits"}
    assert content_variables({"theme": "colour", "message": "new photos"}) == {
        "1": "colour",
        "2": "new photos",
    }
    assert content_variables({"1": "a", "2": "b"}) == {"1": "a", "2": "b"}


def test_retry_after_reads_seconds_and_dates() -> None:
    now = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    assert retry_after(Response(429, "", {"Retry-After": "12"})) == 12.0
    date = "Wed, 25 Nov 2026 01:00:30 GMT"
    assert retry_after(Response(429, "", {"retry-after": date}), now) == 30.0
    assert retry_after(Response(429, "", {"Retry-After": "soon"})) is None
    assert retry_after(Response(429, "", {})) is None
    assert retry_after(Response(429, "", {"Retry-After": "99999"})) == 3600.0
