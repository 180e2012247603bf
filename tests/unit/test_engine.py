"""The engine's story, one event at a time, without a database."""

from __future__ import annotations

from bot.engine import Convo, IssueCoupon, OptOut, Remind, SaveAnswer, Send, Start, step
from bot.flows import load_flow
from bot.messages import Channel, Inbound, Media
from bot.models import ConversationState as S
from bot.resources import flows_dir

FLOW = load_flow(flows_dir() / "post-live.yaml")


def said(
    text: str | None = None, choice: str | None = None, media: tuple[Media, ...] = ()
) -> Inbound:
    return Inbound(Channel.TELEGRAM, "42", "u1", text=text, choice=choice, media=media)


def started(locale: str = "en") -> Convo:
    return step(FLOW, Convo(locale=locale), Start("Winter Knits")).convo


def test_start_sends_the_intro_with_the_first_question_and_its_buttons() -> None:
    result = step(FLOW, Convo(locale="ja"), Start("冬のニット"))
    (send,) = result.effects
    assert isinstance(send, Send)
    assert "冬のニット" in send.text
    assert FLOW.text("intro", "ja").format(show="冬のニット", shop="our shop") in send.text
    assert send.template == "intro"
    assert [c.payload for c in send.choices] == [f"overall:{n}" for n in (5, 4, 3, 2, 1)]
    assert result.convo.state == S.ACTIVE


def test_answers_in_many_scripts_reach_the_same_rating() -> None:
    for text in ("4", "٤", "４", "⭐⭐⭐⭐", "four", "cuatro", "四", "สี่"):
        result = step(FLOW, started(), said(text))
        save = next(e for e in result.effects if isinstance(e, SaveAnswer))
        assert save.value == "4", text


def test_a_start_twice_does_not_send_the_intro_twice() -> None:
    convo = started()
    assert step(FLOW, convo, Start("x")).effects == ()


def test_stop_in_the_customers_language_ends_everything_for_good() -> None:
    result = step(FLOW, started("id"), said("berhenti"))
    assert isinstance(result.effects[0], OptOut)
    assert result.convo.state == S.OPTED_OUT
    assert step(FLOW, result.convo, said("5")).effects == ()
    assert step(FLOW, result.convo, Remind("x")).effects == ()


def test_the_last_answer_completes_with_a_coupon_in_the_customers_language() -> None:
    convo = started("de")
    effects: tuple[object, ...] = ()
    for message in (said("5"), said(choice="product:love"), said("1"), said("alles gut")):
        result = step(FLOW, convo, message)
        convo, effects = result.convo, result.effects
    assert convo.state == S.COMPLETED
    issue = next(e for e in effects if isinstance(e, IssueCoupon))
    assert issue.thank_you == FLOW.text("thank_you", "de")
    assert "{code}" in issue.coupon_text


def test_a_photo_is_asked_only_after_a_problem_and_accepts_an_image() -> None:
    convo = started()
    for message in (
        said("2"),
        said(choice="product:not_as_shown"),
        said(choice="problems:colour"),
        said("the colour is much darker than on the stream"),
    ):
        convo = step(FLOW, convo, message).convo
    assert FLOW.questions[convo.position].id == "photo"
    result = step(FLOW, convo, said(media=(Media("https://x.test/a.jpg", "image/jpeg"),)))
    save = next(e for e in result.effects if isinstance(e, SaveAnswer))
    assert save.media[0]["url"] == "https://x.test/a.jpg"
    assert result.convo.state == S.COMPLETED


def test_a_voice_note_answers_the_free_text_question() -> None:
    convo = started()
    for message in (said("5"), said("1"), said("1")):
        convo = step(FLOW, convo, message).convo
    assert FLOW.questions[convo.position].id == "improve"
    result = step(FLOW, convo, said(media=(Media("https://x.test/v.ogg", "audio/ogg"),)))
    assert result.convo.state == S.COMPLETED
