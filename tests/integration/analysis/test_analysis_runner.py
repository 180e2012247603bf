"""Pending answers are analysed offline and stored beside the originals: language,
category, sentiment, themes merged across languages, review and alerts."""

from __future__ import annotations

import asyncio

from sqlmodel import select

from bot.analysis import analyze_pending
from bot.analysis.analyzers import shared_analyzer
from bot.analysis.themes import theme_counts
from bot.bootstrap import App
from bot.db import session_scope
from bot.models import AnswerTheme, Campaign, Theme
from bot.worker import tick
from tests.integration.analysis.builders import Said, answers, campaign_with_answers

COLOUR_IN_FIVE_LANGUAGES = [
    Said("The colour is much darker than it looked on the live.", 2, "en"),
    Said("El color es distinto al del live, mucho más oscuro.", 2, "es"),
    Said("A cor veio bem diferente da live.", 2, "pt-BR"),
    Said("La couleur ne correspond pas du tout au live.", 2, "fr"),
    Said("配信で見た色と全然違いました。", 2, "ja"),
]


def run(app: App) -> object:
    return asyncio.run(analyze_pending(app))


def test_answers_get_language_category_sentiment_and_the_original_stays(app: App) -> None:
    _, ids = campaign_with_answers(
        app,
        [
            Said("Amei o vestido! Chegou antes do prazo e o tecido é muito bom.", 5, "pt-BR"),
            Said("¿Se puede meter la sartén al lavavajillas?", 4, "es-MX"),
        ],
    )
    report = run(app)
    assert report.analyzed == 2 and report.by_analyzer == {"offline": 2}
    praise, question = answers(app, ids)
    assert praise.raw_text == "Amei o vestido! Chegou antes do prazo e o tecido é muito bom."
    assert (praise.language, praise.category, praise.sentiment_label) == (
        "pt",
        "praise",
        "positive",
    )
    assert praise.translation is None  # offline never fakes a translation
    assert praise.analyzer == "offline" and praise.analyzed_at is not None
    assert question.category == "product_question" and question.sentiment_label == "neutral"
    assert 0 < praise.confidence <= 0.75


def test_the_same_complaint_in_five_languages_is_one_theme_with_a_count(app: App) -> None:
    campaign_id, ids = campaign_with_answers(app, COLOUR_IN_FIVE_LANGUAGES)
    run(app)
    with session_scope(app.engine) as session:
        counts = theme_counts(session, campaign_id)
    assert [(t.key, n) for t, n in counts] == [("colour_mismatch", 5)]
    assert counts[0][0].label == "Colour differs from the live stream"
    assert counts[0][0].category == "complaint"
    assert all(a.themes == ["Colour differs from the live stream"] for a in answers(app, ids))


def test_themes_stay_the_same_across_runs(app: App) -> None:
    campaign_id, _ = campaign_with_answers(app, COLOUR_IN_FIVE_LANGUAGES[:2])
    run(app)
    with session_scope(app.engine) as session:
        first = {t.key: t.id for t in session.exec(select(Theme))}
    # Later answers of the same campaign, a day after, in other languages.
    with session_scope(app.engine) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
    _add_to(app, campaign_id, COLOUR_IN_FIVE_LANGUAGES[2:])
    run(app)
    with session_scope(app.engine) as session:
        counts = theme_counts(session, campaign_id)
    assert [(t.id, n) for t, n in counts] == [(first["colour_mismatch"], 5)]


def _add_to(app: App, campaign_id: int, said: list[Said]) -> None:
    from bot.models import Answer, Contact, Conversation

    with session_scope(app.engine) as session:
        for n, s in enumerate(said):
            contact = Contact(channel="telegram", address=f"later-{n}", consent=True)
            session.add(contact)
            session.flush()
            conversation = Conversation(
                campaign_id=campaign_id, contact_id=contact.id, locale=s.locale
            )  # type: ignore[arg-type]
            session.add(conversation)
            session.flush()
            session.add(
                Answer(
                    conversation_id=conversation.id,  # type: ignore[arg-type]
                    question_id="improve",
                    question_type="text",
                    raw_text=s.text,
                    locale=s.locale,
                )
            )


def test_a_five_star_rating_with_an_angry_text_goes_to_review(app: App) -> None:
    _, ids = campaign_with_answers(app, [Said("Terrible, the zipper broke on the first day.", 5)])
    report = run(app)
    (answer,) = answers(app, ids)
    assert answer.review_status == "pending"
    assert "rated 5/5 but the text reads negative" in (answer.review_reason or "")
    assert report.review_pending == 1


def test_unsure_judgements_go_to_review_and_sure_ones_do_not(app: App) -> None:
    _, ids = campaign_with_answers(
        app,
        [
            Said("hmm", 3),  # nothing the rules know
            Said("The box was crushed and the glass jar inside is broken.", 1),
        ],
    )
    run(app)
    unsure, clear = answers(app, ids)
    assert unsure.review_status == "pending" and "low confidence" in (unsure.review_reason or "")
    assert clear.review_status is None


def test_an_urgent_complaint_opens_an_alert(app: App) -> None:
    _, ids = campaign_with_answers(
        app,
        [
            Said("La caja llegó aplastada y el perfume se derramó. Quiero mi reembolso.", 1, "es"),
            Said("The colour is a bit darker than on the live.", 3),
        ],
    )
    report = run(app)
    urgent, mild = answers(app, ids)
    assert (urgent.category, urgent.urgency, urgent.alert_status) == ("complaint", "high", "open")
    assert (mild.category, mild.urgency, mild.alert_status) == ("complaint", "low", None)
    assert report.alerts_opened == 1


def test_photos_and_voice_notes_offline_are_marked_received_and_reviewed(app: App) -> None:
    photo = {"url": "sim://photos/1.jpg", "content_type": "image/jpeg", "stored_at": None}
    voice = {"url": "sim://voice/1.ogg", "content_type": "audio/ogg", "stored_at": None}
    _, ids = campaign_with_answers(
        app,
        [
            Said(None, 2, media=(photo,), question="photo", question_type="photo"),
            Said(None, 4, media=(voice,)),
        ],
    )
    run(app)
    pictured, spoken = answers(app, ids)
    assert (pictured.category, pictured.confidence) == ("other", 0.0)
    assert pictured.themes == ["Photo received"]
    assert pictured.review_status == "pending" and "photo not looked at" in (
        pictured.review_reason or ""
    )
    assert spoken.themes == ["Voice note received"]
    assert "voice note not transcribed" in (spoken.review_reason or "")


def test_answers_are_analysed_once(app: App) -> None:
    campaign_with_answers(app, COLOUR_IN_FIVE_LANGUAGES)
    assert run(app).analyzed == 5
    assert run(app).analyzed == 0
    with session_scope(app.engine) as session:
        assert len(session.exec(select(AnswerTheme)).all()) == 5


def test_choice_answers_are_not_analysed_but_unreadable_replies_are(app: App) -> None:
    _, ids = campaign_with_answers(
        app,
        [
            Said("wait who is this?", question="product", question_type="single"),
            Said("", 4),  # an empty free-text answer: nothing to judge
        ],
    )
    report = run(app)
    unreadable, empty = answers(app, ids)
    assert report.analyzed == 1 and unreadable.category == "product_question"
    assert empty.analyzed_at is not None and empty.category is None  # never picked up again


def test_the_worker_tick_analyses_answers(app: App) -> None:
    _, ids = campaign_with_answers(app, [Said("Love it! 😍 So soft.", 5)])
    asyncio.run(tick(app))
    (answer,) = answers(app, ids)
    assert answer.category == "praise" and answer.analyzer == "offline"


def test_the_analyzer_is_built_once_per_database_and_reused_by_every_run(app: App) -> None:
    campaign_with_answers(app, COLOUR_IN_FIVE_LANGUAGES[:2])
    first = shared_analyzer(app.settings, app.engine, app.clock)
    assert run(app).analyzed == 2  # type: ignore[attr-defined]
    campaign_with_answers(app, COLOUR_IN_FIVE_LANGUAGES[2:])
    assert run(app).analyzed == 3  # type: ignore[attr-defined]
    assert shared_analyzer(app.settings, app.engine, app.clock) is first
    changed = app.settings.model_copy(update={"team_language": "de"})
    assert shared_analyzer(changed, app.engine, app.clock) is not first
