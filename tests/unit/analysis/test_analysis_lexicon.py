"""The multilingual lexicon is data: every shipped language has its words."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.analysis.language import SHIPPED
from bot.analysis.lexicon import LEXICON_PATH, Lexicon, lexicon, normalize

DATA = yaml.safe_load(LEXICON_PATH.read_text(encoding="utf-8"))


@pytest.mark.parametrize("language", SHIPPED)
def test_every_language_has_sentiment_words_cues_and_labels(language: str) -> None:
    for kind in ("positive", "negative", "thanks"):
        assert DATA["sentiment"][kind][language], (kind, language)
    for cue in ("question", "suggestion", "usage", "urgent", "contrast"):
        assert DATA["cues"][cue][language], (cue, language)
    for key, concept in DATA["concepts"].items():
        assert concept["label"][language], (key, language)
        if concept.get("terms"):
            assert concept["terms"].get(language), (key, language)


def test_every_term_is_text() -> None:
    """YAML reads a bare no as False: the loader refuses it rather than match 'False'."""
    bad = {"version": 1, "sentiment": {"negative": {"en": ["bad", False]}}}
    with pytest.raises(ValueError, match="quote False"):
        Lexicon(bad)


def test_normalization_unifies_spellings() -> None:
    assert normalize("إيقاف") == normalize("ايقاف")
    assert normalize("Ｌｏｖｅ ❤️") == "love ❤"
    assert normalize("don’t") == "don't"


def test_words_match_whole_words_and_accents_are_optional() -> None:
    words = lexicon()
    assert "late_delivery" not in words.scan(normalize("the chocolate arrived")).concepts
    assert "damaged" in words.scan(normalize("llego roto"), frozenset({"es"})).concepts
    assert "damaged" in words.scan(normalize("vino quebrada"), frozenset({"es"})).concepts


def test_a_word_of_another_language_is_not_read() -> None:
    """Portuguese "show" (great!) is not English "show"."""
    words = lexicon()
    assert words.scan(normalize("show"), frozenset({"pt"})).positive == 1
    assert words.scan(normalize("show"), frozenset({"en"})).positive == 0


def test_overlapping_words_in_unspaced_scripts_are_all_found() -> None:
    scan = lexicon().scan(normalize("ของจริงสีเข้มกว่ามาก"), frozenset({"th"}))
    assert "colour_mismatch" in scan.concepts


def test_the_lexicon_is_built_once(tmp_path: Path) -> None:
    assert lexicon() is lexicon()
