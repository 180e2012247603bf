"""The engine is a pure function, so it can be driven with anything a customer (or a
broken platform) might send, in any order, duplicated, and checked for its promises."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine import Completed, Convo, Expire, IssueCoupon, OptOut, Remind, Send, Start, step
from bot.flows import load_flow
from bot.messages import Channel, Inbound, Media
from bot.models import ConversationState
from bot.resources import flows_dir

FLOW = load_flow(flows_dir() / "post-live.yaml")
PAYLOADS = (
    [f"{q.id}:{c.id}" for q in FLOW.questions for c in q.choices]
    + [f"overall:{n}" for n in range(-1, 8)]
    + ["garbage", "", ":", "overall:", "photo:x"]
)

texts = st.one_of(
    st.none(),
    st.text(max_size=60),
    st.sampled_from(
        [
            "5",
            "٣",
            "３",
            "⭐⭐⭐⭐",
            "👍",
            "😡",
            "cinco",
            "skip",
            "STOP",
            "parar",
            "停止",
            "1, 3",
            "late and damaged",
            "\u200f\u0627\u0644\u0644\u0648\u0646",
            "\x00",
            "👨‍👩‍👧",
            "e\u0301",
            "no",
            "-",
            "10",
        ]
    ),
)
inbound = st.builds(
    Inbound,
    channel=st.just(Channel.WHATSAPP),
    address=st.just("+12125550101"),
    external_id=st.text(max_size=5),
    text=texts,
    choice=st.one_of(st.none(), st.sampled_from(PAYLOADS)),
    media=st.one_of(
        st.just(()),
        st.just((Media("https://x.test/p.jpg", "image/jpeg"),)),
        st.just((Media("https://x.test/v.ogg", "audio/ogg"),)),
    ),
)
events = st.lists(
    st.one_of(
        inbound,
        inbound,
        inbound,
        st.just(Start("show")),
        st.just(Remind("show")),
        st.just(Expire()),
    ),
    max_size=40,
)
locales = st.sampled_from(list(FLOW.locales) + ["ko", "pt-PT", "zz"])


def run(locale: str, sequence: list[object]) -> list[tuple[Convo, tuple[object, ...]]]:
    convo = Convo(locale=FLOW.locale_for(locale))
    trail = []
    for event in [Start("show"), *sequence]:
        result = step(FLOW, convo, event)  # type: ignore[arg-type]
        convo = result.convo
        trail.append((convo, result.effects))
    return trail


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(locales, events)
def test_any_sequence_keeps_the_engines_promises(locale: str, sequence: list[object]) -> None:
    trail = run(locale, sequence)
    questions_asked = set()
    coupons = 0
    stopped = False
    for convo, effects in trail:
        if stopped:
            assert effects == (), "nothing is sent after STOP"
        for effect in effects:
            if isinstance(effect, Send) and ":" in effect.kind:
                questions_asked.add(effect.kind.split(":", 1)[1])
            if isinstance(effect, IssueCoupon):
                coupons += 1
            if isinstance(effect, OptOut):
                stopped = True
        assert 0 <= convo.position < len(FLOW.questions)
        assert convo.retries <= 2
    assert len(questions_asked) <= 5
    assert coupons <= 1, "never two coupons for one conversation"
    completions = sum(isinstance(e, Completed) for _, effects in trail for e in effects)
    assert completions <= 1


@settings(max_examples=200, deadline=None)
@given(locales, st.lists(inbound, max_size=25))
def test_replaying_a_message_never_advances_past_the_survey(
    locale: str, messages: list[Inbound]
) -> None:
    doubled = [m for message in messages for m in (message, message)]
    trail = run(locale, doubled)
    final = trail[-1][0]
    assert final.state in {
        ConversationState.ACTIVE,
        ConversationState.COMPLETED,
        ConversationState.OPTED_OUT,
    }
    assert set(final.answers) <= {q.id for q in FLOW.questions}
