"""The conversation engine: a pure function from (flow, conversation, event) to
(conversation', effects).

No I/O happens here: the caller (bot.intake) stores the new state and turns effects into
rows (answers, coupon, outbox) in one transaction. That keeps the state machine small
enough to test exhaustively, and property tests drive it with arbitrary input.

States: planned -> active -> completed | opted_out | expired. A STOP in any state ends
everything for good; nothing is ever sent after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bot.answers import Parsed, is_stop, parse_answer
from bot.flows import Flow, Question, QuestionType, pick
from bot.messages import Choice, Inbound
from bot.models import ConversationState as S
from bot.phrases import phrase

#: Unreadable answers to one question before we move on without it.
MAX_RETRIES = 2


# -- state and events ------------------------------------------------------------------


@dataclass(frozen=True)
class Convo:
    state: str = S.PLANNED
    position: int = 0
    retries: int = 0
    answers: Mapping[str, str | None] = field(default_factory=dict)
    locale: str = "en"
    reminded: bool = False


@dataclass(frozen=True)
class Start:
    """The campaign reaches this contact: intro and first question."""

    show: str = ""


@dataclass(frozen=True)
class Remind:
    show: str = ""


@dataclass(frozen=True)
class Expire:
    pass


Event = Inbound | Start | Remind | Expire


# -- effects ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Send:
    kind: str
    text: str
    choices: tuple[Choice, ...] = ()
    multiple: bool = False
    #: Template kind (intro, reminder) for business-initiated sends; None inside a chat.
    template: str | None = None
    template_vars: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SaveAnswer:
    question_id: str
    question_type: str
    raw_text: str | None
    value: str | None
    skipped: bool = False
    media: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class IssueCoupon:
    """Give one code from the flow's pool; the caller renders `text` or `fallback`."""

    pool: str
    expires_days: int
    thank_you: str
    #: Contains {code} and {expires}.
    coupon_text: str
    #: Sent instead when the pool is empty.
    fallback: str


@dataclass(frozen=True)
class OptOut:
    pass


@dataclass(frozen=True)
class Completed:
    pass


Effect = Send | SaveAnswer | IssueCoupon | OptOut | Completed


@dataclass(frozen=True)
class Step:
    convo: Convo
    effects: tuple[Effect, ...] = ()


# -- the function ------------------------------------------------------------------------


def step(flow: Flow, convo: Convo, event: Event, *, shop: str = "our shop") -> Step:
    if convo.state == S.OPTED_OUT:
        return Step(convo)
    if isinstance(event, Inbound) and is_stop(event.text):
        return Step(
            replace(convo, state=S.OPTED_OUT),
            (OptOut(), Send("stop_confirm", phrase("stop_confirm", convo.locale, shop=shop))),
        )
    match event:
        case Start(show=show):
            return _start(flow, convo, show or shop, shop)
        case Remind(show=show):
            return _remind(flow, convo, show or shop, shop)
        case Expire():
            if convo.state == S.ACTIVE:
                return Step(replace(convo, state=S.EXPIRED))
            return Step(convo)
        case Inbound():
            if convo.state != S.ACTIVE:
                return Step(convo, (no_open_conversation(convo.locale, shop),))
            return _answer(flow, convo, event)
    raise TypeError(f"unknown event {event!r}")  # pragma: no cover - exhaustive match


def no_open_conversation(locale: str, shop: str) -> Send:
    return Send("no_open", phrase("no_open_conversation", locale, shop=shop))


def _start(flow: Flow, convo: Convo, show: str, shop: str) -> Step:
    if convo.state != S.PLANNED:
        return Step(convo)
    first = _next_position(flow, convo.answers, -1)
    assert first is not None  # the first question has no ask_if (validated on load)
    convo = replace(convo, state=S.ACTIVE, position=first, retries=0)
    intro = flow.text("intro", convo.locale).format(show=show, shop=shop)
    question = render_question(flow, flow.questions[first], convo.locale)
    send = replace(
        question,
        kind=f"intro:{flow.questions[first].id}",
        text=f"{intro}\n\n{question.text}",
        template="intro",
        template_vars={"show": show},
    )
    return Step(convo, (send,))


def _remind(flow: Flow, convo: Convo, show: str, shop: str) -> Step:
    if convo.state != S.ACTIVE or convo.reminded:
        return Step(convo)
    reminder = flow.text("reminder", convo.locale).format(show=show, shop=shop)
    question = render_question(flow, flow.questions[convo.position], convo.locale)
    send = replace(
        question,
        kind=f"reminder:{flow.questions[convo.position].id}",
        text=f"{reminder}\n\n{question.text}",
        template="reminder",
        template_vars={"show": show},
    )
    return Step(replace(convo, reminded=True), (send,))


def _answer(flow: Flow, convo: Convo, inbound: Inbound) -> Step:
    question = flow.questions[convo.position]
    parsed = parse_answer(question, inbound.text, inbound.choice, inbound.media, convo.locale)
    media = tuple(
        {"url": m.url, "content_type": m.content_type, "stored_at": m.stored_at}
        for m in inbound.media
    )
    if parsed is None:
        if convo.retries < MAX_RETRIES:
            hint = phrase(f"hint_{question.type}", convo.locale)
            again = render_question(flow, question, convo.locale)
            return Step(
                replace(convo, retries=convo.retries + 1),
                (replace(again, kind=f"hint:{question.id}", text=f"{hint}\n\n{again.text}"),),
            )
        # Twice unreadable: keep what they said (the analysis may still use it), move on.
        parsed = Parsed(None)
        prefix: str | None = phrase("moving_on", convo.locale)
    else:
        prefix = None
    save = SaveAnswer(question.id, question.type, inbound.text, parsed.value, parsed.skipped, media)
    answers = {**convo.answers, question.id: parsed.value}
    convo = replace(convo, answers=answers, retries=0)
    following = _next_position(flow, answers, convo.position)
    if following is None:
        return Step(replace(convo, state=S.COMPLETED), (save, *_finish(flow, convo.locale)))
    ask = render_question(flow, flow.questions[following], convo.locale)
    if prefix:
        ask = replace(ask, text=f"{prefix}\n\n{ask.text}")
    return Step(replace(convo, position=following), (save, ask))


def _finish(flow: Flow, locale: str) -> tuple[Effect, ...]:
    thanks = flow.text("thank_you", locale)
    if flow.coupon is None:
        return (Send("thank_you", thanks), Completed())
    issue = IssueCoupon(
        pool=flow.coupon.pool,
        expires_days=flow.coupon.expires_days,
        thank_you=thanks,
        coupon_text=flow.text("coupon", locale),
        fallback=flow.text("no_coupon", locale),
    )
    return (issue, Completed())


def _next_position(flow: Flow, answers: Mapping[str, str | None], after: int) -> int | None:
    for index in range(after + 1, len(flow.questions)):
        rule = flow.questions[index].ask_if
        if rule is None or rule.holds(answers.get(rule.question)):
            return index
    return None


def render_question(flow: Flow, question: Question, locale: str) -> Send:
    """The question as a message with buttons; adapters fall back to a numbered list."""
    text = _localized(flow, question.text, locale)
    choices: tuple[Choice, ...] = ()
    multiple = False
    if question.type == QuestionType.RATING:
        choices = tuple(Choice(f"{question.id}:{n}", f"{n} {'⭐' * n}") for n in range(5, 0, -1))
    elif question.type in (QuestionType.SINGLE, QuestionType.MULTI):
        choices = tuple(
            Choice(f"{question.id}:{c.id}", _localized(flow, c.text, locale))
            for c in question.choices
        )
        multiple = question.type == QuestionType.MULTI
        if multiple:
            text = f"{text}\n{phrase('multi_hint_suffix', locale)}"
    return Send(f"question:{question.id}", text, choices, multiple)


def _localized(flow: Flow, texts: Mapping[str, str], locale: str) -> str:
    return pick(dict(texts), locale, flow.default_locale)
