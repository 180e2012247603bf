"""Which analyzer the settings ask for (POSTLIVE_ANALYZER=auto|openai|offline)."""

from __future__ import annotations

from bot.analysis.cache import ResultCache
from bot.analysis.interface import Analyzer
from bot.analysis.offline import OfflineAnalyzer
from bot.errors import ConfigError
from bot.settings import Settings


def analyzer_for(settings: Settings, cache: ResultCache | None = None) -> Analyzer:
    """auto: OpenAI when OPENAI_API_KEY is set, else offline; openai without a key is a
    configuration error rather than a silent downgrade."""
    choice = settings.postlive_analyzer
    if choice == "offline" or (choice == "auto" and settings.openai_api_key is None):
        return OfflineAnalyzer(settings.team_language)
    if settings.openai_api_key is None:
        raise ConfigError("POSTLIVE_ANALYZER=openai needs OPENAI_API_KEY")
    # Imported here: the openai SDK takes ~1 s to import, and offline users never need it.
    from bot.analysis.openai_analyzer import OpenAIAnalyzer

    return OpenAIAnalyzer(settings, cache=cache)
