"""Every shipped locale says everything, fits WhatsApp, names the shop, and asks the
customer to reply with words the bot understands."""

from __future__ import annotations

import re
from datetime import date
from string import Formatter

import pytest
import yaml
from typer.testing import CliRunner

from bot.answers import parse_answer
from bot.cli import app
from bot.engine import Convo, Send, Start, step
from bot.flows import load_flow
from bot.locales import long_date, negotiate
from bot.optout import is_stop
from bot.phrases import _FILE as PHRASES_FILE
from bot.resources import flows_dir

SHIPPED = flows_dir() / "post-live.yaml"
FLOW = load_flow(SHIPPED)
PHRASES: dict[str, dict[str, str]] = yaml.safe_load(PHRASES_FILE.read_text(encoding="utf-8"))
NEW_LOCALES = {"zh-TW", "ko", "ms", "fil", "hi", "tr", "it", "pl", "nl", "pt-PT", "es-419"}
#: A quoted word: “…” «…» „…“ 「…」 ‘…’ "…".
QUOTED = re.compile(r"[“«„「‘\"]\s*([^”»“」’\"{}]+?)\s*[”»“」’\"]")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name}


def test_the_flow_ships_the_new_markets() -> None:
    assert set(FLOW.locales) >= NEW_LOCALES | {"en", "de", "ja", "es", "es-MX", "pt-BR"}


@pytest.mark.parametrize("key", sorted(PHRASES))
def test_every_locale_has_every_system_phrase(key: str) -> None:
    missing = [loc for loc in FLOW.locales if loc not in PHRASES[key]]
    assert not missing, f"{key} lacks {missing}"
    placeholders = {loc: _placeholders(text) for loc, text in PHRASES[key].items()}
    assert len({frozenset(p) for p in placeholders.values()}) == 1, placeholders


@pytest.mark.parametrize("locale", FLOW.locales)
def test_every_locale_has_every_flow_string_written_for_it(locale: str) -> None:
    for key, texts in FLOW.texts.items():
        assert locale in texts, (key, locale)
        assert _placeholders(texts[locale]) == _placeholders(texts["en"]), (key, locale)
    for question in FLOW.questions:
        assert locale in question.text, (question.id, locale)
        for choice in question.choices:
            assert locale in choice.text, (question.id, choice.id, locale)


@pytest.mark.parametrize("locale", FLOW.locales)
def test_every_button_title_fits_whatsapp(locale: str) -> None:
    for question in FLOW.questions:
        for choice in question.choices:
            title = choice.text[locale]
            assert 1 <= len(title) <= 20, (question.id, choice.id, locale, title)


@pytest.mark.parametrize("locale", FLOW.locales)
def test_the_intro_and_reminder_name_the_shop_and_the_show(locale: str) -> None:
    for key in ("intro", "reminder"):
        assert {"shop", "show"} <= _placeholders(FLOW.texts[key][locale]), (key, locale)
    result = step(FLOW, Convo(locale=locale), Start("Winter Knits"), shop="Luna Live Shop")
    (send,) = result.effects
    assert isinstance(send, Send)
    assert "Luna Live Shop" in send.text and "Winter Knits" in send.text


@pytest.mark.parametrize("locale", FLOW.locales)
def test_the_opt_out_words_each_locale_names_are_understood(locale: str) -> None:
    for key in ("intro", "reminder", "loop"):
        last_line = FLOW.texts[key][locale].strip().splitlines()[-1]
        named = QUOTED.findall(last_line) + re.findall(r"\b[A-ZÀ-Ý]{3,}\b", last_line)
        assert named, (key, locale, last_line)
        for word in named:
            assert is_stop(word), (key, locale, word)


@pytest.mark.parametrize("locale", FLOW.locales)
def test_the_skip_word_each_locale_names_skips(locale: str) -> None:
    for question_id in ("improve", "photo"):
        question = FLOW.question(question_id)
        words = QUOTED.findall(question.text[locale])
        assert words, (question_id, locale)
        parsed = parse_answer(question, words[-1], None, (), locale)
        assert parsed is not None and parsed.skipped, (question_id, locale, words[-1])
    skip_word = PHRASES["skip_word"][locale]
    assert parse_answer(FLOW.question("improve"), skip_word, None, (), locale) is not None


def test_flows_check_passes_for_every_locale() -> None:
    result = CliRunner().invoke(app, ["flows", "check", str(SHIPPED)])
    assert result.exit_code == 0, result.output
    assert f"{len(FLOW.locales)} locales" in result.output


def test_markets_read_the_written_standard_they_share() -> None:
    assert negotiate("zh-HK", FLOW.locales, "en") == "zh-TW"
    assert negotiate("zh-Hant", FLOW.locales, "en") == "zh-TW"
    assert negotiate("zh-SG", FLOW.locales, "en") == "zh-CN"
    assert negotiate("es-CO", FLOW.locales, "en") == "es-419"
    assert negotiate("es-ES", FLOW.locales, "en") == "es"
    assert negotiate("pt-PT", FLOW.locales, "en") == "pt-PT"
    assert negotiate("pt", FLOW.locales, "en") == "pt-BR"
    assert negotiate("fil-PH", FLOW.locales, "en") == "fil"


def test_every_new_market_has_a_send_window() -> None:
    for country in ("TW", "HK", "KR", "MY", "PH", "IN", "TR", "IT", "PL", "NL", "PT", "AR"):
        assert FLOW.market(country) is not FLOW.market("ZZ"), country


def test_thai_dates_are_in_the_buddhist_era() -> None:
    assert long_date(date(2026, 12, 30), "th-TH") == "30 ธันวาคม พ.ศ. 2569"
    assert "2026" in long_date(date(2026, 12, 30), "en")


def test_the_arabic_coupon_code_is_isolated_from_right_to_left_reordering() -> None:
    assert "\u2068{code}\u2069" in FLOW.texts["coupon"]["ar"]


def test_french_puts_a_narrow_no_break_space_before_double_punctuation() -> None:
    french = [*FLOW.texts.values(), *(q.text for q in FLOW.questions)]
    french += list(PHRASES.values())
    for texts in french:
        assert not re.search(r"[ \u00a0][?!:;»]|«[ \u00a0]", texts["fr"]), texts["fr"]


def test_german_calls_the_other_choice_sonstiges() -> None:
    assert FLOW.question("problems").choices[-1].text["de"] == "Sonstiges"


def test_every_shipped_locale_has_digest_labels() -> None:
    from adapters.slack.labels import LABELS, TeamLanguage

    for locale in FLOW.locales:
        team = TeamLanguage(locale)
        assert team.has_catalogue, locale
        assert set(LABELS[team.catalogue]) == set(LABELS["en"]), team.catalogue
    assert TeamLanguage("zh-HK").catalogue == "zh-TW"
