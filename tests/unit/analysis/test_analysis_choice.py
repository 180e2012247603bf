"""Which analyzer runs, and theme keys."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from bot.analysis import analyzer_for
from bot.analysis.offline import OfflineAnalyzer
from bot.analysis.themes import concept_of, theme_key
from bot.errors import ConfigError
from bot.settings import Settings


def settings(**kw: object) -> Settings:
    return Settings(_env_file=None, **kw)  # type: ignore[call-arg]


def test_no_key_means_offline() -> None:
    assert isinstance(analyzer_for(settings()), OfflineAnalyzer)
    assert isinstance(
        analyzer_for(settings(postlive_analyzer="offline", openai_api_key=SecretStr("k"))),
        OfflineAnalyzer,
    )


def test_openai_without_a_key_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        analyzer_for(settings(postlive_analyzer="openai"))


def test_a_key_means_openai() -> None:
    analyzer = analyzer_for(
        settings(openai_api_key=SecretStr("k"), openai_base_url="http://127.0.0.1:9/v1")
    )
    assert analyzer.name == "openai:gpt-4.1-mini:analyze.v1"
    analyzer.close()


def test_theme_keys_are_normalized_phrases() -> None:
    assert (
        theme_key("  Colour differs from the LIVE stream! ")
        == "colour_differs_from_the_live_stream"
    )
    assert theme_key("颜色与直播不符") == "颜色与直播不符"


def test_a_phrase_naming_a_known_concept_joins_it() -> None:
    concept = concept_of("colour differs from the live stream", "en")
    assert concept is not None and concept.key == "colour_mismatch"
    assert concept_of("more giveaways please", "en") is None
