"""Locale negotiation with Babel: `pt-BR` falls back to `pt`, then to the default."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale, UnknownLocaleError, negotiate_locale


@lru_cache(maxsize=4096)
def negotiate(wanted: str | None, available: tuple[str, ...], default: str) -> str:
    """Pick the best of `available` (BCP 47 tags, e.g. "pt-BR") for `wanted`."""
    if not wanted:
        return default
    tag = normalize_tag(wanted)
    if tag is None:
        return default
    chosen = negotiate_locale([tag], list(available), sep="-")
    if chosen:
        return chosen
    # Babel matches "es-MX" to "es" only when "es" is available; also try the language
    # alone against region-specific tags ("ja" wanted, only "ja-JP" shipped).
    language = tag.split("-")[0]
    for candidate in available:
        if candidate.split("-")[0] == language:
            return candidate
    return default


@lru_cache(maxsize=4096)
def normalize_tag(value: str) -> str | None:
    """`pt_br`, `PT-BR`, `pt-BR` all become `pt-BR`; None when Babel does not know it."""
    try:
        locale = Locale.parse(value.strip().replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return None
    parts = [locale.language]
    if locale.script and locale.language == "zh" and not locale.territory:
        parts.append("CN" if locale.script == "Hans" else "TW")
    if locale.territory:
        parts.append(locale.territory)
    return "-".join(parts)


def language_of(tag: str) -> str:
    return tag.split("-")[0]
