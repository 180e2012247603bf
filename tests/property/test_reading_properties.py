"""Promises of the reader that must hold for any message, not only the written examples:
nothing opts out or erases without saying so, and no reply is read as a contradiction."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import lexicon
from bot.answers import parse_answer
from bot.flows import load_flow
from bot.optout import is_delete_request, is_stop, sentence_key
from bot.resources import flows_dir

FLOW = load_flow(flows_dir() / "post-live.yaml")
PROBLEMS = FLOW.question("problems")
PRODUCT = FLOW.question("product")
LOCALES = ["en", "es", "pt-BR", "de", "fr", "ja", "zh-CN", "zh-TW", "id", "th", "vi", "ar", "ko"]

#: Every phrase whose presence may make a message an opt-out, as the detector keys it.
STOP_KEYS = {
    key
    for word in (
        *lexicon.STOP_WORDS,
        *lexicon.MORE_STOP_WORDS,
        *lexicon.STOP_PHRASES,
    )
    for key in (sentence_key(word.rstrip("*")), sentence_key(word.rstrip("*"), folded=False))
    if key
} | {sentence_key(word) for words in lexicon.LIST_WORDS.values() for word in words}
# A list word counts: "remove my number from your list" opts out by its list (bot.optout).
DELETE_KEYS = {
    sentence_key(word.rstrip("*")) for words in lexicon.DELETE_VERBS.values() for word in words
} | {sentence_key(w) for w in (*lexicon.DELETE_WORDS, *lexicon.FORGET_PHRASES)}

#: Words customers use around the live, with courtesy, negations and near misses of
#: opt-out words ("stopped", "stopover", "cancelled"), in several languages.
WORDS = [
    "the",
    "live",
    "was",
    "great",
    "don't",
    "never",
    "please",
    "kak",
    "po",
    "ạ",
    "ค่ะ",
    "delete",
    "button",
    "my",
    "order",
    "data",
    "cable",
    "stopped",
    "stopover",
    "nonstop",
    "cancelled",
    "ended",
    "quitting",
    "unsubscribed?",
    "no",
    "not",
    "if",
    "you",
    "I'll",
    "love",
    "it",
    "late",
    "damaged",
    "😍",
    "🙏",
    "!!",
    "别",
    "直播",
    "好看",
    "ライブ",
    "楽しい",
    "라이브",
    "좋아요",
    "ไลฟ์",
    "สนุก",
    "shop",
    "hay",
    "quá",
    "me",
    "encanta",
    "muito",
    "bom",
    "sehr",
    "gut",
    "très",
    "bien",
    "بث",
    "رائع",
    "messages",
    "send",
    "не",
    "ефір",
    "inte",
    "livet",
    "nu",
    "ne",
    "μη",
    "τέλειο",
    "אל",
    "לייב",
    "my number",
]
sentences = st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map(" ".join)
anything = st.one_of(sentences, st.text(max_size=80))


def _holds_any(text: str, keys: set[str]) -> bool:
    folded, exact = sentence_key(text), sentence_key(text, folded=False)
    return any(key in folded or key in exact for key in keys)


@settings(max_examples=200, deadline=None, database=None)
@given(anything)
def test_nothing_opts_out_without_an_opt_out_phrase(text: str) -> None:
    if is_stop(text):
        assert _holds_any(text, STOP_KEYS), text


@settings(max_examples=200, deadline=None, database=None)
@given(sentences)
def test_everyday_words_around_a_live_never_opt_out(text: str) -> None:
    assert not is_stop(text), text


@settings(max_examples=200, deadline=None, database=None)
@given(anything)
def test_nothing_erases_without_a_delete_verb_or_phrase(text: str) -> None:
    if is_delete_request(text):
        assert _holds_any(text, DELETE_KEYS), text


CHOICE_WORDS = sorted(
    {
        text
        for question in (PROBLEMS, PRODUCT)
        for choice in question.choices
        for text in (
            *choice.text.values(),
            *choice.aliases,
            *(t for texts in choice.synonyms.values() for t in texts),
        )
    }
    | {"1", "2", "3", "4", "5", "6", "no", "nein", "いいえ", "tidak", "لا", "não", "nothing"}
)
JOINERS = [", ", " and ", " y ", " und ", "、", " e ", " dan ", " ", "和", " / "]
replies = st.lists(
    st.tuples(st.sampled_from(CHOICE_WORDS), st.sampled_from(JOINERS)), min_size=1, max_size=4
).map(lambda parts: "".join(word + joiner for word, joiner in parts).rstrip(" ,/、和"))


@settings(
    max_examples=250, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(replies, st.sampled_from(LOCALES))
def test_no_reply_is_read_as_no_problems_and_a_problem(text: str, locale: str) -> None:
    parsed = parse_answer(PROBLEMS, text, None, (), locale)
    if parsed is not None and parsed.value:
        picked = parsed.value.split(",")
        assert len(picked) == len(set(picked))
        assert not ("none" in picked and len(picked) > 1), (text, picked)


@settings(
    max_examples=250, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(replies, st.sampled_from(LOCALES))
def test_a_single_choice_is_one_choice(text: str, locale: str) -> None:
    parsed = parse_answer(PRODUCT, text, None, (), locale)
    if parsed is not None:
        assert parsed.value in {c.id for c in PRODUCT.choices}, (text, parsed)
