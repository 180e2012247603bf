"""Locale negotiation with Babel: `pt-BR` falls back to `pt`, then to the default.

Some markets share a written standard with a locale of another region, which Babel's
matching does not know: Hong Kong and Macau read Traditional Chinese (zh-TW), Spanish
America outside Mexico reads neutral Latin American Spanish (es-419), and Portuguese
outside Brazil the European norm (pt-PT).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from babel import Locale, UnknownLocaleError, negotiate_locale
from babel.dates import format_date


@lru_cache(maxsize=4096)
def negotiate(wanted: str | None, available: tuple[str, ...], default: str) -> str:
    """Pick the best of `available` (BCP 47 tags, e.g. "pt-BR") for `wanted`."""
    if not wanted:
        return default
    tag = normalize_tag(wanted)
    if tag is None:
        return default
    exact = next((a for a in available if a.casefold() == tag.casefold()), None)
    if exact:
        return exact
    shared = _shared_standard(tag)
    if shared and shared in available:
        return shared
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


#: Spanish-speaking regions that read Spain's Spanish (the rest of the world's Spanish
#: customers, Mexico aside when es-MX ships, read es-419).
_SPAIN = frozenset({"ES", "GQ", "EA", "IC"})


def _shared_standard(tag: str) -> str | None:
    """The shipped locale a region reads when it has none of its own: zh-HK -> zh-TW,
    es-AR -> es-419, pt-AO -> pt-PT (and Portuguese without a region, pt-BR)."""
    language, _, region = tag.partition("-")
    if language == "zh" and region in ("TW", "HK", "MO"):
        return "zh-TW"
    if language == "es" and region and region not in _SPAIN:
        return "es-419"
    if language == "pt":
        return "pt-PT" if region and region != "BR" else "pt-BR"
    return None


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


def long_date(value: date, tag: str) -> str:
    """A date as customers of `tag` write it in full: Babel's long format, except in Thai,
    where dates are written in the Buddhist era (year + 543, "พ.ศ."), which Babel does not
    format ("30 ธันวาคม พ.ศ. 2569", not "30 ธันวาคม ค.ศ. 2026")."""
    babel_tag = (normalize_tag(tag) or "en").replace("-", "_")
    if language_of(babel_tag.replace("_", "-")) == "th":
        return f"{format_date(value, 'd MMMM', locale=babel_tag)} พ.ศ. {value.year + 543}"
    return format_date(value, format="long", locale=babel_tag)
