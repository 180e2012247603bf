"""Which analyzer the settings ask for (POSTLIVE_ANALYZER=auto|openai|offline)."""

from __future__ import annotations

import threading
from weakref import WeakKeyDictionary

from sqlalchemy import Engine

from bot.analysis.cache import DatabaseCache, ResultCache
from bot.analysis.interface import Analyzer
from bot.analysis.offline import OfflineAnalyzer
from bot.clock import Clock
from bot.errors import ConfigError
from bot.settings import Settings

#: One analyzer per database, for as long as the engine lives (see shared_analyzer).
_SHARED: WeakKeyDictionary[Engine, tuple[Settings, Analyzer]] = WeakKeyDictionary()
_SHARED_LOCK = threading.Lock()


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


def shared_analyzer(settings: Settings, engine: Engine, clock: Clock | None = None) -> Analyzer:
    """The analyzer for this database, built once and reused by every run (the worker's
    analysis every minute, each show's after-show analysis): the OpenAI client keeps its
    connections and the offline detector and lexicon are not rebuilt. Other settings
    (a test's, a changed key) build a new one. The caller must not close it."""
    with _SHARED_LOCK:
        held = _SHARED.get(engine)
        if held is not None and held[0] == settings:
            return held[1]
        analyzer = analyzer_for(settings, DatabaseCache(engine, clock))
        _SHARED[engine] = (settings, analyzer)
    if held is not None:
        held[1].close()
    return analyzer
