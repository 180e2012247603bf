"""How postlive reads a customer's answer, whatever they type and wherever they are."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import answers, lexicon
from bot.answers import (
    MAX_CHARS,
    Parsed,
    is_delete_request,
    is_stop,
    normalize_text,
    parse_answer,
    read_number,
)
from bot.flows import ChoiceDef, Question, QuestionType, load_flow
from bot.messages import Media
from bot.resources import flows_dir

RATING = Question(id="overall", type=QuestionType.RATING, text={"en": "Rate us"})
NPS = Question(id="nps", type=QuestionType.NPS, text={"en": "Recommend us?"})
FEELING = Question(
    id="feeling",
    type=QuestionType.SINGLE,
    text={"en": "How was it?"},
    choices=(
        ChoiceDef(id="love", text={"en": "Love it!", "es": "Me encanta", "ja": "大好き"}),
        ChoiceDef(id="ok", text={"en": "It's OK", "es": "Está bien"}, aliases=("👌",)),
        ChoiceDef(id="meh", text={"en": "Not for me", "es": "No es para mí"}),
    ),
)
ISSUES = Question(
    id="issues",
    type=QuestionType.MULTI,
    text={"en": "What went wrong?"},
    choices=(
        ChoiceDef(id="late", text={"en": "Late delivery", "es": "Entrega tardía"}),
        ChoiceDef(id="damaged", text={"en": "Damaged item", "es": "Producto dañado"}),
        ChoiceDef(id="size", text={"en": "Wrong size", "ja": "サイズ違い"}),
    ),
)
COMMENTS = Question(id="comments", type=QuestionType.TEXT, text={"en": "Anything else?"})
UNBOXING = Question(id="unboxing", type=QuestionType.PHOTO, text={"en": "Show us!"})
PHOTO = Media(url="https://example.test/p.jpg", content_type="image/jpeg")
VOICE = Media(url="https://example.test/v.ogg", content_type="audio/ogg")


def optional(question: Question) -> Question:
    return question.model_copy(update={"optional": True})


def answer(
    question: Question,
    text: str | None = None,
    *,
    choice: str | None = None,
    media: tuple[Media, ...] = (),
    locale: str = "en",
) -> Parsed | None:
    return parse_answer(question, text, choice, media, locale)


# -- ratings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4", "4"),
        ("٤", "4"),  # Arabic-Indic
        ("۴", "4"),  # Persian
        ("４", "4"),  # full-width, from a Japanese keyboard
        ("๔", "4"),  # Thai
        ("4️⃣", "4"),  # keycap emoji
        ("\u200f٤\u200f", "4"),  # wrapped in right-to-left marks
        ("4/5", "4"),
        ("٤ من ٥", "4"),
        ("4 out of 5 stars", "4"),
        ("5 stars, love it!", "5"),
    ],
)
def test_a_customer_can_rate_with_digits_from_any_keyboard(text: str, expected: str) -> None:
    assert answer(RATING, text) == Parsed(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("four stars", "4"),
        ("cuatro", "4"),  # es
        ("Cinco estrellas", "5"),
        ("quatro estrelas", "4"),  # pt
        ("três", "3"),
        ("vier Sterne", "4"),  # de
        ("fünf", "5"),
        ("quatre étoiles", "4"),  # fr
        ("よん", "4"),  # ja
        ("ご", "5"),
        ("五つ星", "5"),
        ("五", "5"),  # zh
        ("两", "2"),
        ("สี่", "4"),  # th
        ("ห้าดาว", "5"),
        ("bốn", "4"),  # vi
        ("năm sao", "5"),
        ("empat", "4"),  # id
        ("lima bintang", "5"),
        ("أربعة", "4"),  # ar
        ("اربعه", "4"),  # typed without hamza, ta marbuta as ha
        ("cuatro de cinco", "4"),
    ],
)
def test_a_customer_can_rate_with_number_words(text: str, expected: str) -> None:
    assert answer(RATING, text) == Parsed(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("⭐⭐⭐⭐", "4"),
        ("⭐️⭐️⭐️⭐️⭐️", "5"),
        ("★★★☆☆", "3"),
        ("🌟🌟", "2"),
        ("5⭐", "5"),
        ("⭐⭐⭐⭐ great service", "4"),
    ],
)
def test_a_customer_can_rate_with_stars(text: str, expected: str) -> None:
    assert answer(RATING, text) == Parsed(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("👍", "5"),
        ("👍🏽", "5"),
        ("❤️‍🔥", "5"),
        ("😍😍😍", "5"),
        ("🙂", "4"),
        ("😐", "3"),
        ("🙁", "2"),
        ("👎", "1"),
        ("😡", "1"),
    ],
)
def test_a_customer_can_rate_with_emoji(text: str, expected: str) -> None:
    assert answer(RATING, text) == Parsed(expected)


@pytest.mark.parametrize(
    "text",
    ["3 or 4", "4.5", "12", "0", "1234", "great, thanks", "😡👍", "great 👍", "☆☆☆☆☆", "", None],
)
def test_an_unclear_rating_is_asked_again(text: str | None) -> None:
    assert answer(RATING, text) is None


def test_hai_is_two_in_vietnamese_but_a_greeting_in_indonesian() -> None:
    assert answer(RATING, "hai", locale="vi-VN") == Parsed("2")
    assert answer(RATING, "Hai", locale="id-ID") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0", "0"), ("10", "10"), ("10/10", "10"), ("９", "9"), ("dix", "10"), ("十", "10")],
)
def test_a_customer_can_answer_nps_from_zero_to_ten(text: str, expected: str) -> None:
    assert answer(NPS, text) == Parsed(expected)


def test_an_nps_above_ten_is_asked_again() -> None:
    assert answer(NPS, "11") is None


# -- buttons --------------------------------------------------------------------------


def test_a_tapped_button_is_the_answer() -> None:
    assert answer(RATING, "⭐⭐⭐⭐", choice="overall:4") == Parsed("4")
    assert answer(NPS, None, choice="nps:0") == Parsed("0")
    assert answer(FEELING, "Love it!", choice="feeling:love") == Parsed("love")
    assert answer(ISSUES, "Late delivery", choice="issues:late") == Parsed("late")


def test_a_button_from_another_question_is_ignored() -> None:
    assert answer(RATING, "3", choice="nps:9") == Parsed("3")
    assert answer(RATING, None, choice="nps:9") is None


@pytest.mark.parametrize("payload", ["overall:9", "overall:", "overall", "overall:4.0", ":4"])
def test_an_invalid_button_falls_back_to_the_text(payload: str) -> None:
    assert answer(RATING, "2", choice=payload) == Parsed("2")
    assert answer(RATING, None, choice=payload) is None


def test_an_unknown_choice_in_a_button_is_ignored() -> None:
    assert answer(FEELING, None, choice="feeling:hate") is None


# -- single and multiple choice -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("1", "en", "love"),
        ("３", "ja", "meh"),
        ("two", "en", "ok"),
        ("Me encanta", "en", "love"),  # another language than the flow's
        ("me encanta!!", "es-MX", "love"),
        ("esta bien", "es", "ok"),  # accents missing
        ("大好き", "pt-BR", "love"),
        ("love", "en", "love"),  # unique prefix
        ("👌", "en", "ok"),  # alias
        ("I love it a lot", "en", "love"),  # a choice's words inside the message
        ("1. Love it!", "en", "love"),  # a list line copied back
        ("Love it! 😍😍", "en", "love"),  # emoji after the words
        ("Lvoe it!", "en", "love"),  # one typo in a longer text
        ("Me encanta, gracias", "es", "love"),
    ],
)
def test_a_customer_picks_one_choice(text: str, locale: str, expected: str) -> None:
    assert answer(FEELING, text, locale=locale) == Parsed(expected)


@pytest.mark.parametrize("text", ["4", "0", "no", "lo", "2. Love it!", "love it or not for me"])
def test_an_unclear_single_choice_is_asked_again(text: str) -> None:
    assert answer(FEELING, text) is None


def test_the_customers_language_breaks_a_tie_between_choices() -> None:
    question = Question(
        id="arrival",
        type=QuestionType.SINGLE,
        text={"en": "Did it arrive on time?"},
        choices=(
            ChoiceDef(id="early", text={"en": "Fast", "de": "Früh"}),
            ChoiceDef(id="almost", text={"en": "Almost", "de": "Fast"}),  # German "almost"
        ),
    )
    assert answer(question, "fast", locale="en-GB") == Parsed("early")
    assert answer(question, "Fast", locale="de-AT") == Parsed("almost")
    assert answer(question, "fast", locale="fr") is None


@pytest.mark.parametrize(
    "text",
    [
        "1, 3",
        "3 1",
        "3,1",
        "late and damaged",
        "Late delivery, damaged",
        "1 y 2",
        "entrega tardia e producto dañado",
        "サイズ違いと1",
        "1、3",
    ],
)
def test_a_customer_picks_several_choices(text: str) -> None:
    parsed = answer(ISSUES, text)
    assert parsed is not None
    ids = parsed.value.split(",") if parsed.value else []
    assert ids == [c.id for c in ISSUES.choices if c.id in ids]  # flow order
    assert len(ids) == len(set(ids)) >= 2


def test_several_choices_come_back_in_flow_order_without_duplicates() -> None:
    assert answer(ISSUES, "3, 1, 3") == Parsed("late,size")
    assert answer(ISSUES, "damaged and late") == Parsed("late,damaged")
    assert answer(ISSUES, "wrong size") == Parsed("size")


def test_a_word_inside_a_choice_text_picks_it_unless_the_choice_is_a_negation() -> None:
    question = Question(
        id="problems",
        type=QuestionType.MULTI,
        text={"en": "Any problems?"},
        choices=(
            ChoiceDef(id="none", text={"en": "No problems", "zh": "没有问题"}),
            ChoiceDef(id="late", text={"en": "Arrived late", "ar": "وصل متأخرًا"}),
            ChoiceDef(id="damaged", text={"en": "Damaged or broken", "zh": "破损"}),
        ),
    )
    assert answer(question, "late and damaged") == Parsed("late,damaged")
    assert answer(question, "broken, late") == Parsed("late,damaged")
    assert answer(question, "متأخر، ٣") == Parsed("late,damaged")  # Arabic comma and digit
    assert answer(question, "no problems") == Parsed("none")
    assert answer(question, "problems") is None
    assert answer(question, "问题") is None


@pytest.mark.parametrize("text", ["1, 9", "13", "late and lost", "and", ","])
def test_every_pick_must_be_understood(text: str) -> None:
    assert answer(ISSUES, text) is None


# -- text and photos ------------------------------------------------------------------


def test_free_text_is_kept_as_typed() -> None:
    assert answer(COMMENTS, "  Arrived in 3 days 🚀 \n") == Parsed("Arrived in 3 days 🚀")
    assert answer(COMMENTS, "no") == Parsed("no")  # not optional: "no" is the answer
    assert answer(COMMENTS, "bad\x00data") == Parsed("baddata")


def test_a_voice_note_answers_a_text_question() -> None:
    assert answer(COMMENTS, None, media=(VOICE,)) == Parsed(None)


@pytest.mark.parametrize("text", ["", "   ", "\u200f\u200e", None])
def test_an_empty_message_is_not_an_answer(text: str | None) -> None:
    assert answer(COMMENTS, text) is None


def test_a_photo_answers_a_photo_question() -> None:
    assert answer(UNBOXING, "look!", media=(PHOTO,)) == Parsed(None)
    assert answer(UNBOXING, "here it is") is None
    assert answer(UNBOXING, None, media=(VOICE,)) is None


# -- skipping -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "skip",
        "No.",
        "nope 🙏",
        "nada",
        "não",
        "nein",
        "rien",
        "なし",
        "tidak",
        "ไม่มี",
        "không",
        "bỏ qua",
        "لا",
        "跳过",
        "-",
    ],
)
def test_a_customer_can_skip_an_optional_question(text: str) -> None:
    for question in (COMMENTS, UNBOXING, RATING, NPS, FEELING, ISSUES):
        assert answer(optional(question), text) == Parsed(None, skipped=True)


def test_a_required_question_cannot_be_skipped() -> None:
    assert answer(RATING, "skip") is None
    assert answer(UNBOXING, "no") is None


def test_a_choice_named_like_a_skip_word_is_a_choice() -> None:
    question = optional(
        Question(
            id="again",
            type=QuestionType.SINGLE,
            text={"en": "Buy again?"},
            choices=(
                ChoiceDef(id="yes", text={"en": "Yes"}),
                ChoiceDef(id="no", text={"en": "No"}),
            ),
        )
    )
    assert answer(question, "no") == Parsed("no")


def test_a_skip_word_with_a_voice_note_is_an_answer() -> None:
    assert answer(optional(COMMENTS), "no", media=(VOICE,)) == Parsed("no")


# -- stop and delete ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "Stop!",
        "stop please",
        "UNSUBSCRIBE",
        "opt out",
        "Parar",
        "BAJA",
        "detener",
        "arrêter",
        "arret",
        "Stopp",
        "abmelden",
        "停止",
        "退订",
        "配信停止",
        "berhenti",
        "หยุดค่ะ",
        "dừng",
        "hủy",
        "إيقاف",
        "الغاء",
        "İPTAL",
        "стоп",
        "수신거부",
        "itigil",
        "basta",
    ],
)
def test_a_customer_can_stop_messages_in_their_language(text: str) -> None:
    assert is_stop(text)


@pytest.mark.parametrize(
    "text", ["no", "nada", "stop the music please", "alto", "5", "", None, "cancel my order"]
)
def test_other_messages_do_not_unsubscribe(text: str | None) -> None:
    assert not is_stop(text)


@pytest.mark.parametrize(
    "text",
    [
        "delete my data",
        "Please delete my data.",
        "forget me",
        "borrar mis datos",
        "apagar meus dados",
        "Meine Daten löschen bitte",
        "supprimer mes donnees",
        "データを削除してください",
        "hapus data saya",
        "ลบข้อมูลของฉัน",
        "xóa dữ liệu của tôi",
        "احذف بياناتي",
        "请删除我的数据",
    ],
)
def test_a_customer_can_ask_to_delete_their_data(text: str) -> None:
    assert is_delete_request(text)


@pytest.mark.parametrize(
    "text",
    [
        "I love the data cable",
        "undelete my datastore",
        "stop",
        "",
        None,
        "great product " * 40 + "delete my data",
    ],
)
def test_other_messages_are_not_delete_requests(text: str | None) -> None:
    assert not is_delete_request(text)


# -- building blocks ------------------------------------------------------------------


def test_normalize_text_folds_what_keyboards_vary() -> None:
    assert normalize_text("  ¡CINCO!  ") == "cinco"
    assert normalize_text("Love\u200e   it。") == "love it"
    assert normalize_text("ＳＴＯＰ！") == "stop"
    assert normalize_text("n/a") == "n/a"


def test_read_number_wants_one_clear_number() -> None:
    assert read_number("1234") == 1234  # the caller checks the range
    assert read_number("3 or 4") is None
    assert read_number("arrived 12/03, 5 stars") is None
    assert read_number("nothing") is None


@pytest.mark.parametrize(("word", "value"), sorted(lexicon.NUMBER_WORDS.items()))
def test_every_number_word_reads_back(word: str, value: int) -> None:
    assert read_number(word) == value


@pytest.mark.parametrize(("emoji", "value"), sorted(lexicon.RATING_EMOJI.items()))
def test_every_rating_emoji_reads_back(emoji: str, value: int) -> None:
    assert answer(RATING, emoji) == Parsed(str(value))


@pytest.mark.parametrize("word", sorted(lexicon.STOP_WORDS))
def test_every_stop_word_stops(word: str) -> None:
    assert is_stop(word) and is_stop(word.upper())


@pytest.mark.parametrize("word", sorted(lexicon.SKIP_WORDS))
def test_every_skip_word_skips(word: str) -> None:
    assert answer(optional(COMMENTS), word) == Parsed(None, skipped=True)
    assert not is_stop(word)


def test_the_lexicon_covers_every_market_language() -> None:
    main = {"en", "de", "ja", "es", "pt", "fr", "id", "th", "vi", "ar", "zh"}
    more = {"it", "ko", "ru", "tr", "nl", "pl", "hi", "ms", "tl"}
    assert main <= lexicon.NUMBER_LANGUAGES
    assert main <= lexicon.SKIP_LANGUAGES
    assert main <= lexicon.DELETE_LANGUAGES
    assert main | more <= lexicon.STOP_LANGUAGES
    assert "no" not in lexicon.STOP_WORDS


# -- robustness -----------------------------------------------------------------------

QUESTIONS = [
    q for base in (RATING, NPS, FEELING, ISSUES, COMMENTS, UNBOXING) for q in (base, optional(base))
]
ODD = st.one_of(
    st.none(),
    st.text(),
    st.text(st.characters(exclude_categories=())),  # lone surrogates too
    st.sampled_from(["\x00", "\u200d" * 50, "e\u0301\u0301\u0301", "👨‍👩‍👧", "٤\u200f", "⓵", "²"]),
)


@settings(max_examples=300, deadline=None, database=None)
@given(
    text=ODD,
    choice=st.one_of(st.none(), st.text(), st.sampled_from(["overall:5", "issues:late", ":"])),
    locale=st.one_of(st.text(max_size=12), st.sampled_from(["pt-BR", "id", "zh_Hant"])),
    with_media=st.booleans(),
)
def test_no_message_ever_breaks_the_parser(
    text: str | None, choice: str | None, locale: str, with_media: bool
) -> None:
    media = (PHOTO, VOICE) if with_media else ()
    for question in QUESTIONS:
        parsed = parse_answer(question, text, choice, media, locale)
        assert parsed is None or isinstance(parsed, Parsed)
    read_number(text or "")
    is_stop(text)
    is_delete_request(text)
    normalize_text(text or "")


def _read_everything(text: str) -> tuple[object, ...]:
    """Every reading of `text`: each question's answer (for free text, whether it is
    stored or skipped: the text itself is stored whole), opt-out and delete request."""
    is_stop.cache_clear()
    is_delete_request.cache_clear()
    answers = []
    for question in QUESTIONS:
        parsed = parse_answer(question, text, None, (), "en")
        free = question.type is QuestionType.TEXT and parsed is not None
        answers.append(("stored", parsed.skipped) if free and parsed else parsed)
    return (*answers, is_stop(text), is_delete_request(text))


def _work(text: str) -> tuple[tuple[object, ...], int]:
    """The readings of `text` and the work they took, counted as function calls (Python
    and built-in, regex searches included): a measure a busy machine cannot change."""
    calls = 0

    def count(frame: object, event: str, arg: object) -> None:
        nonlocal calls
        calls += event in ("call", "c_call")

    sys.setprofile(count)
    try:
        readings = _read_everything(text)
    finally:
        sys.setprofile(None)
    return readings, calls


#: Function calls allowed for reading one message of MAX_CHARS characters in every way
#: (about 260,000 for the costliest message below).
WORK_BUDGET = 600_000


@pytest.mark.parametrize(
    "text",
    [
        "1 and " * 100_000,
        "late, " * 50_000,
        "⭐" * 500_000,
        "x" * 1_000_000,
        "٤ " * 200_000,
        "\ud800" * 1000,
    ],
)
def test_huge_messages_cost_no_more_than_their_first_characters(text: str) -> None:
    """Nothing past MAX_CHARS is read, and reading is bounded: a message hundreds of
    times longer costs about what its first MAX_CHARS characters cost (no wall clock:
    timings are in benchmarks/replies.py --huge)."""
    head_readings, head_work = _work(text[:MAX_CHARS])
    readings, work = _work(text)
    assert readings == head_readings
    assert work <= head_work * 1.5
    assert work <= WORK_BUDGET


# -- opt-out and erasure in the customer's own words ------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "BERHENTI kak",
        "tigil na po",
        "그만 보내주세요",
        "停止してください",
        "Arrêtez",
        "STOP STOP",
        "Unsubscribe me",
        "remove me from your list",
        "Stop sending me messages",
        "ya no me manden mensajes",
        "para de mandar mensagem",
        "别发了",
        "別再發了",
        "لا ترسلوا لي رسائل",
        "dung lai",
        "if you don't stop I'll report you",
        "dejen de mandarme mensajes",
        "abonelikten çıkmak istiyorum",
        "wag na po kayo mag-message",
    ],
)
def test_an_opt_out_is_understood_in_any_phrasing(text: str) -> None:
    assert is_stop(text)


@pytest.mark.parametrize(
    "text",
    [
        "don't stop the lives!",
        "stop by",
        "please don't stop sending updates about new lives",
        "Never stop doing giveaways",
        "đúng",
        "đúng rồi",
        "ライブは止めないでください",
        "라이브 그만하지 마세요",
        "直播别停啊",
        "no paréis los directos",
        "stop sending me the wrong size please",  # about parcels, not messages
        "para de mandar produto errado",
        "間違った商品を送らないでください",
        "不要发错货",
    ],
)
def test_a_message_that_only_mentions_stopping_does_not_opt_out(text: str) -> None:
    assert not is_stop(text)


@pytest.mark.parametrize(
    "text",
    [
        "delete my personal data",
        "apaguem meus dados",
        "امسحوا بياناتي",
        "내 정보 삭제해 주세요",
        "Löschen Sie bitte meine Daten",
        "请把我的数据删掉",
        "paki-delete po ng data ko",
        "mera data delete karo",
    ],
)
def test_a_delete_request_is_understood_in_sentences(text: str) -> None:
    assert is_delete_request(text)


@pytest.mark.parametrize(
    "text",
    [
        "please don't delete my data, I want my coupon",
        "bitte meine Daten nicht löschen",
        "データは削除しないでください",
        "不要删除我的数据",
        "I removed my data cable",
        "you deleted my order??",
    ],
)
def test_a_negated_or_unrelated_mention_is_not_a_delete_request(text: str) -> None:
    assert not is_delete_request(text)


# -- leaving a messaging list, and languages written to an English survey ------------------


@pytest.mark.parametrize(
    "text",
    [
        "Please remove my number from your list",
        "can you delete my number from the mailing list",
        "quítame de la lista",
        "scoateți-mă din listă",
        "תורידו אותי מהרשימה",
        "уберите меня из списка",
    ],
)
def test_leaving_a_messaging_list_is_an_opt_out_not_an_erasure(text: str) -> None:
    """Taking a number off a messaging list is unsubscribing: nothing is to be erased."""
    assert is_stop(text)
    assert not is_delete_request(text)


@pytest.mark.parametrize(
    "text",
    [
        "delete my data and take me off your list",
        "remove my personal data from your list",
    ],
)
def test_asking_for_data_to_go_stays_an_erasure_even_off_a_list(text: str) -> None:
    assert is_delete_request(text)


@pytest.mark.parametrize(
    "text",
    [
        "can I get the size list?",
        "the silver necklace was on your list",
        "I removed it from my wishlist",
        "don't remove me from the list, I love the lives",
    ],
)
def test_a_list_mentioned_otherwise_does_not_opt_out(text: str) -> None:
    assert not is_stop(text)


@pytest.mark.parametrize(
    "text",
    [
        "sluta messa mig!!",
        "prestante mi psat prosim",
        "nu-mi mai scrieți",
        "μην μου στέλνετε τίποτα",
        "בבקשה תפסיקו לשלוח לי הודעות",
        "відпишіть мене від розсилки",
        "אם לא תפסיקו לשלוח לי הודעות אני מתלונן",
        "om ni inte slutar skicka sms anmäler jag er",
    ],
)
def test_an_opt_out_is_understood_in_ukrainian_swedish_czech_romanian_greek_hebrew(
    text: str,
) -> None:
    assert is_stop(text)


@pytest.mark.parametrize(
    "text",
    [
        "sluta inte med liven",
        "kan inte sluta skicka bilder på den till mina vänner",
        "nepřestávejte vysílat!",
        "nu vă opriți, e super",
        "μη σταματάτε ποτέ",
        "אל תפסיקו לשלוח לי עדכונים על לייבים",
        "не припиняйте ефіри",
    ],
)
def test_a_negated_stop_in_those_languages_does_not_opt_out(text: str) -> None:
    """Swedish negates after the verb, Czech with a prefix, Hebrew with "אל" before it."""
    assert not is_stop(text)


@pytest.mark.parametrize(
    "text",
    [
        "smažte prosím moje údaje",
        "radera min data tack",
        "ștergeți-mi datele vă rog",
        "διαγράψτε τα στοιχεία μου",
        "שתמחקו את הנתונים שלי",
        "видаліть мої персональні дані",
    ],
)
def test_a_delete_request_is_understood_in_those_languages(text: str) -> None:
    assert is_delete_request(text)


@pytest.mark.parametrize(
    "text",
    [
        "nemažte moje údaje",
        "radera inte mina uppgifter",
        "nu-mi ștergeți datele",
        "μη διαγράψετε τα στοιχεία μου",
        "אל תמחקו את הפרטים שלי",
        "не видаляйте мої дані",
    ],
)
def test_a_negated_delete_in_those_languages_is_not_a_request(text: str) -> None:
    assert not is_delete_request(text)


def test_greek_stress_marks_and_romanian_cedillas_do_not_change_a_number() -> None:
    assert read_number("πεντε") == read_number("πέντε") == 5
    assert read_number("şase") == read_number("șase") == read_number("sase") == 6
    assert read_number("пʼять") == read_number("п'ять") == 5


ARRIVAL = Question(
    id="arrival",
    type=QuestionType.MULTI,
    text={"en": "Any problems?"},
    choices=(
        ChoiceDef(id="none", text={"en": "No problems"}, exclusive=True),
        ChoiceDef(
            id="late",
            text={"en": "Arrived late"},
            synonyms={"en": ("came late",), "ru": ("пришло поздно",), "he": ("הגיע באיחור",)},
        ),
        ChoiceDef(
            id="damaged",
            text={"en": "Damaged"},
            synonyms={"en": ("broken",), "ru": ("сломанное",), "he": ("שבור",)},
        ),
        ChoiceDef(id="missing", text={"en": "Missing item"}, synonyms={"he": ("חסר",)}),
    ),
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("пришло сломанное", "damaged"),
        ("came broken", "damaged"),
        ("הגיע שבור", "damaged"),
        ("came late", "late"),
        ("שבור וחסר", "damaged,missing"),
        ("הגיע באיחור וחסר", "late,missing"),
    ],
)
def test_a_verb_that_only_opens_a_choice_does_not_pick_it(text: str, value: str) -> None:
    """ "came" opens "came late" but says nothing alone; Hebrew "ו" (and) is a prefix."""
    assert parse_answer(ARRIVAL, text, None, (), "en") == Parsed(value)


POST_LIVE_PROBLEMS = load_flow(flows_dir() / "post-live.yaml").question("problems")


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("לא הגיע בזמן", "he"),
        ("не прийшло вчасно", "uk"),
        ("nu a ajuns la timp", "ro"),
        ("δεν ήρθε κανονικά", "el"),
        ("kom inte i tid", "sv"),
    ],
)
def test_a_negated_all_fine_is_never_read_as_no_problems(text: str, locale: str) -> None:
    """A negation a word or two before "arrived fine" turns it around; Czech "a" (and) is
    Romanian "has", so it does not cut "nu" (not) off a Romanian reply."""
    assert parse_answer(POST_LIVE_PROBLEMS, text, None, (), locale) != Parsed("none")


def test_a_one_letter_and_joins_picks_in_its_own_language() -> None:
    reply = "přišlo pozdě a rozbité"
    assert parse_answer(POST_LIVE_PROBLEMS, reply, None, (), "cs") == Parsed("late,damaged")


@pytest.mark.parametrize("text", ["ik wil me nu afmelden", "stuur me nu geen berichten meer"])
def test_dutch_now_is_not_romanian_not(text: str) -> None:
    """Romanian "nu" (not) is Dutch "nu" (now): it negates Romanian requests only."""
    assert is_stop(text)


def test_romanian_not_still_turns_a_romanian_request_around() -> None:
    assert is_delete_request("verwijder nu mijn gegevens")
    assert not is_delete_request("nu-mi ștergeți datele")
    assert not is_stop("nu vă dezabonați, avem oferte noi")


def _reference_fillers() -> re.Pattern[str]:
    """The filler words as a plain longest-first alternation: what `_FILLERS` replaced."""
    words = [w for w in map(answers._word_key, lexicon.FILLER_WORDS) if w]
    return re.compile(
        "|".join(rf"(?<!\w){re.escape(w)}(?!\w)" for w in answers._longest_first(words))
    )


def _texts_of_the_corpus() -> list[str]:
    data = Path(__file__).resolve().parent.parent / "data"
    texts = [json.loads(line)["text"] for line in (data / "labelled_answers.jsonl").open()]
    for path in sorted((data / "replies").glob("*.jsonl")):
        texts += [str(json.loads(line).get("text", "")) for line in path.open()]
    return texts


def test_the_filler_trie_matches_exactly_what_the_alternation_of_its_words_matched() -> None:
    """`_FILLERS` is built as a trie for speed; the plain alternation is the reference:
    the same words removed from every answer of the corpora, from each filler alone,
    glued to a letter, and several in a row."""
    reference = _reference_fillers()
    words = [w for w in map(answers._word_key, lexicon.FILLER_WORDS) if w]
    texts = _texts_of_the_corpus()
    texts += words + [f"{w} ok" for w in words] + [f"a {w}x {w}" for w in words]
    texts += [" ".join(words[i : i + 4]) for i in range(len(words))]
    keys = [answers._phrase_key(t) for t in texts]
    assert len(keys) > 1000
    assert sum(1 for k in keys if reference.search(k)) > 500  # fillers are really met
    assert [answers._FILLERS.sub("|", k) for k in keys] == [reference.sub("|", k) for k in keys]


@given(st.lists(st.sampled_from([*sorted(lexicon.FILLER_WORDS), "ok", "x", " ", "po"])))
@settings(max_examples=200, deadline=None)
def test_the_filler_trie_agrees_with_the_alternation_on_any_mix_of_fillers(
    parts: list[str],
) -> None:
    key = answers._phrase_key(" ".join(parts))
    assert answers._FILLERS.sub("|", key) == _reference_fillers().sub("|", key)


def test_a_narrowed_lookup_keeps_every_choice_text_a_full_scan_would_accept() -> None:
    """`_match` looks only at the texts `narrowed` gives: for every mode, those that
    `_hit` accepts must be exactly the ones a scan of all texts accepts, in the same
    order (ties are broken by it). Labels: the corpora's messages and their words, and
    the choice texts themselves, cut short and with a letter dropped (typos)."""
    flow = load_flow(flows_dir() / "post-live.yaml")
    keys = [answers._label_key(t) for t in _texts_of_the_corpus()[:400]]
    labels = {k for k in keys if k} | {w for k in keys for w in k.split()}
    accepted_somewhere = 0
    for question in flow.questions:
        if not question.choices:
            continue
        texts = answers._texts_of(question)
        own = {candidate for _, _, candidate in texts.all if candidate}
        tried = labels | own | {c[:4] for c in own} | {c[:2] + c[3:] for c in own}
        for label in sorted(filter(None, tried)):
            for mode in ("prefix", "word", "inside", "typo"):
                accepted = [t for t in texts.all if answers._hit(t[2], label, mode)]
                kept = [t for t in texts.narrowed(label, mode) if answers._hit(t[2], label, mode)]
                assert kept == accepted, (question.id, label, mode)
                accepted_somewhere += bool(accepted)
    assert accepted_somewhere > 1000


def test_a_piece_that_is_only_punctuation_is_no_lead_word_and_breaks_nothing() -> None:
    """"1 / Come previsto" splits into a piece with no letters: its key is empty, and
    the indexed lookup of lead words must not take its first character."""
    flow = load_flow(flows_dir() / "post-live.yaml")
    problems = flow.question("problems")
    assert answers._lead_word_only(problems, "") is False
    parse_answer(problems, "1 / Come previsto", None, (), "en")  # read, not raised
