"""The offline analyzer: languages, categories, sentiment, themes, and honesty."""

from __future__ import annotations

import pytest

from bot.analysis.interface import Category, Item, MediaRef, Result, Sentiment, Urgency
from bot.analysis.language import detect_many, script_of
from bot.analysis.offline import MAX_CONFIDENCE, OfflineAnalyzer

ANALYZER = OfflineAnalyzer()


def judge(
    text: str | None, rating: int | None = None, locale: str | None = None, **kw: object
) -> Result:
    result = ANALYZER.analyze([Item(text, rating=rating, locale=locale, **kw)]).results[0]  # type: ignore[arg-type]
    assert result is not None
    return result


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The colour is much darker than in the stream", "en"),
        ("La caja llegó aplastada y falta una pieza", "es"),
        ("A entrega demorou muito e veio faltando o carregador", "pt"),
        ("Le colis est arrivé avec deux semaines de retard", "fr"),
        ("Die Lieferung hat viel zu lange gedauert", "de"),
        ("配信で見た色と違いました", "ja"),
        ("Barangnya bagus banget, makasih kak", "id"),
        ("ของมาช้ามาก รอเป็นอาทิตย์", "th"),
        ("Giao hàng chậm quá shop ơi", "vi"),
        ("التوصيل تأخر كثير", "ar"),
        ("物流太慢了，等了两个星期", "zh"),
    ],
)
def test_the_shipped_languages_are_detected(text: str, language: str) -> None:
    assert judge(text).language == language


def test_a_short_reply_takes_the_conversations_language() -> None:
    assert judge("Ok shop ơi", locale="vi").language == "vi"
    assert judge("👍👍").language is None  # no words, no language


def test_scripts_settle_most_languages_without_a_model() -> None:
    assert script_of("配信で見た色") == ("ja", 6)
    assert script_of("颜色不一样")[0] == "zh"
    assert script_of("😍 !!") == (None, 0)
    assert detect_many([]) == []


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Arrived late and the box was crushed", Category.COMPLAINT),
        ("¿Se puede lavar en lavadora?", Category.PRODUCT_QUESTION),
        ("Na próxima live mostrem as peças mais de perto", Category.SUGGESTION),
        ("Ich benutze die Creme seit einer Woche, die Haut ist weicher", Category.USAGE_EXPERIENCE),
        ("とても可愛くて大満足です！", Category.PRAISE),
        ("Merci !", Category.OTHER),
        # A question about a missing parcel is a complaint, not a product question.
        ("Where is my order? Still not received", Category.COMPLAINT),
        # A suggestion for the show phrased as a question is a suggestion.
        ("直播能不能早一点开始？", Category.SUGGESTION),
    ],
)
def test_categories_by_keyword_rules(text: str, category: Category) -> None:
    assert judge(text).category == category


def test_negation_turns_words_around() -> None:
    assert judge("Not good at all, not happy").sentiment == Sentiment.NEGATIVE
    fine = judge("Llegó sin daños, todo perfecto")
    assert fine.sentiment == Sentiment.POSITIVE and fine.category == Category.PRAISE
    assert all(t.key != "damaged" for t in fine.themes)
    assert judge("สินค้าไม่สวยเลย").sentiment == Sentiment.NEGATIVE
    assert judge("这个不好看").sentiment == Sentiment.NEGATIVE


def test_what_follows_but_weighs_more() -> None:
    assert judge("Está bonito pero esperaba más por el precio.").sentiment_score < 0


def test_emoji_carry_sentiment() -> None:
    assert judge("😍😍").sentiment == Sentiment.POSITIVE
    assert judge("😡👎").sentiment == Sentiment.NEGATIVE


def test_the_rating_gives_sentiment_when_the_words_do_not() -> None:
    assert judge("ok", rating=1).sentiment == Sentiment.NEGATIVE
    assert judge("ok", rating=5).sentiment == Sentiment.POSITIVE
    assert judge("ok").sentiment == Sentiment.NEUTRAL
    # A question is neutral, whatever the customer rated.
    assert judge("Can I wash it at 40 degrees?", rating=5).sentiment == Sentiment.NEUTRAL


def test_the_words_alone_are_kept_for_the_review_rules() -> None:
    angry = judge("Terrible, the zipper broke on the first day.", rating=5)
    assert angry.text_sentiment == Sentiment.NEGATIVE


def test_themes_are_concepts_labelled_in_the_team_language() -> None:
    result = judge("El color es mucho más oscuro que en el live y el envío tardó tres semanas")
    assert [t.key for t in result.themes] == ["late_delivery", "colour_mismatch"]
    assert OfflineAnalyzer("es").analyze([Item("A cor veio diferente da live")]).results[0].themes[
        0
    ].label == (  # type: ignore[union-attr]
        "El color no es como en el live"
    )


def test_urgent_complaints() -> None:
    assert judge("The mug arrived broken, I want a refund").urgency == Urgency.HIGH
    assert judge("The colour is slightly darker than on the live").urgency == Urgency.LOW
    assert judge("Love it").urgency == Urgency.NONE


def test_it_never_translates_and_never_claims_much_confidence() -> None:
    result = judge("Amei demais, chegou super rápido! Perfeito, lindo, maravilhoso 😍😍")
    assert result.translation is None and result.analyzer == "offline"
    assert 0.5 <= result.confidence <= MAX_CONFIDENCE
    assert judge("asdf qwerty").confidence < 0.5


def test_photos_and_voice_notes_are_received_not_understood() -> None:
    photo = MediaRef(0, "https://example.test/p.jpg", "image/jpeg")
    voice = MediaRef(0, "https://example.test/v.ogg", "audio/ogg")
    pictured = judge(None, rating=1, media=(photo,))
    assert (pictured.category, pictured.confidence) == (Category.OTHER, 0.0)
    assert [t.key for t in pictured.themes] == ["photo_received"]
    assert pictured.doubts == ("photo not looked at (offline analysis)",)
    spoken = judge(None, media=(voice,))
    assert [t.key for t in spoken.themes] == ["voice_received"] and spoken.confidence == 0.0
    captioned = judge("The box arrived crushed", media=(photo,))
    assert captioned.category == Category.COMPLAINT
    assert {"damaged", "photo_received"} <= {t.key for t in captioned.themes}


def test_ten_thousand_comments_in_one_call() -> None:
    texts = ["Love it! 😍", "Arrived late", "¿Tienen talla L?", "配信と色が違う"] * 2500
    outcome = ANALYZER.analyze([Item(t) for t in texts])
    assert len(outcome.results) == 10_000 and outcome.tokens == 0
    assert outcome.results[-1].category == Category.COMPLAINT  # type: ignore[union-attr]
