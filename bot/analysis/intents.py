"""The radar's lexicon (`intents.yaml`) compiled into one pattern.

Every term maps back to what it signals: an intent's ask or topic word, a request word,
a country or a colour. A comment is scanned once; Latin-script terms match whole words
and without accents (viewers type "cuanto", "envio"), other scripts match anywhere.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from babel import Locale, UnknownLocaleError

from bot.analysis.lexicon import normalize

INTENTS_PATH = Path(__file__).with_name("intents.yaml")
_LATIN = re.compile(r"[a-zA-Z\u00c0-\u024f\u1e00-\u1eff]")


#: Latin letters with accents -> without; other scripts untouched (Japanese dakuten
#: are combining marks too, and they matter).
def _bare(char: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))


_UNACCENT = {code: _bare(chr(code)) for code in (*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00))}


def fold(text: str) -> str:
    """The analysis lexicon's normalization plus Latin accents removed."""
    return normalize(text).translate(_UNACCENT)


@dataclass(frozen=True, slots=True)
class Tag:
    kind: str  # ask, topic, request, country, colour
    name: str  # intent key, country code, colour key; "" for request words


@dataclass(frozen=True)
class Intent:
    key: str
    slot: str | None
    labels: Mapping[str, str]
    plain_labels: Mapping[str, str]


@dataclass
class Intents:
    """Lookup tables rather than one big regex: a 1,500-term alternation costs ~1 ms a
    comment, word n-grams and short substrings looked up in dicts cost ~20 µs."""

    version: int
    intents: dict[str, Intent]
    colour_labels: dict[str, Mapping[str, str]]
    #: Latin-script terms by their words ("how much" -> ("how", "much")).
    words: dict[tuple[str, ...], tuple[Tag, ...]] = field(default_factory=dict)
    #: Other scripts' terms, matched anywhere, and the lengths they come in.
    chunks: dict[str, tuple[Tag, ...]] = field(default_factory=dict)
    longest_words: int = 1
    chunk_lengths: tuple[int, ...] = ()

    def matches(self, folded: str) -> Iterator[tuple[int, Tag]]:
        """(position, tag) of every term in a folded text; the longest term wins where
        several start at one word ("how much is" over "how much")."""
        tokens = [(m.start(), m.group(0)) for m in _TOKEN.finditer(folded)]
        skip_to = 0
        for index, (start, _) in enumerate(tokens):
            for size in range(min(self.longest_words, len(tokens) - index), 0, -1):
                key = tuple(word for _, word in tokens[index : index + size])
                found = self.words.get(key)
                if found:
                    if index >= skip_to or size > 1:
                        for tag in found:
                            yield start, tag
                    skip_to = max(skip_to, index + size)
                    break
        if self.chunks and _OTHER_SCRIPT.search(folded):
            for start in range(len(folded)):
                if not _OTHER_SCRIPT.match(folded, start):
                    continue
                for size in self.chunk_lengths:
                    found = self.chunks.get(folded[start : start + size])
                    if found:
                        for tag in found:
                            yield start, tag
                        break

    def label(self, intent: str, slot: str | None, language: str) -> str:
        """The canonical question in `language` ("Do you ship to Brazil?")."""
        spec = self.intents[intent]
        if slot is None:
            return spec.plain_labels.get(language) or spec.plain_labels["en"]
        template = spec.labels.get(language) or spec.labels["en"]
        if spec.slot == "country":
            name = _country_name(slot, language)
        else:
            names = self.colour_labels.get(slot, {})
            name = names.get(language) or names.get("en") or slot
        return template.replace("{slot}", name)


def _country_name(code: str, language: str) -> str:
    try:
        names = Locale.parse(language).territories
    except (UnknownLocaleError, ValueError):
        names = Locale("en").territories
    return names.get(_TERRITORY.get(code, code)) or code


_TERRITORY = {"UK": "GB"}
_TOKEN = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_OTHER_SCRIPT = re.compile(r"[^\x00-\u024f\u1e00-\u1eff\s]")


def load(data: Mapping[str, Any]) -> Intents:
    found: dict[str, list[Tag]] = defaultdict(list)

    def add(term: object, tag: Tag) -> None:
        key = fold(str(term)).strip()
        if key and tag not in found[key]:
            found[key].append(tag)

    intents: dict[str, Intent] = {}
    for key, spec in data["intents"].items():
        for kind in ("ask", "topic"):
            for words in (spec.get(kind) or {}).values():
                for word in words:
                    add(word, Tag(kind, key))
        intents[key] = Intent(
            key=key,
            slot=spec.get("slot"),
            labels=spec["label"],
            plain_labels=spec.get("label_plain") or spec["label"],
        )
    for words in data.get("requests", {}).values():
        for word in words:
            add(word, Tag("request", ""))
    for code, words in data.get("countries", {}).items():
        for word in words:
            add(word, Tag("country", code))
    colour_labels = {}
    for name, spec in data.get("colours", {}).items():
        for word in spec["words"]:
            add(word, Tag("colour", name))
        colour_labels[name] = spec["label"]
    words = Intents(int(data.get("version", 1)), intents, colour_labels)
    for term, tags in found.items():
        if _LATIN.search(term):
            key = tuple(m.group(0) for m in _TOKEN.finditer(term))
            words.words[key] = tuple(dict.fromkeys((*words.words.get(key, ()), *tags)))
        else:
            words.chunks[term] = tuple(tags)
    words.longest_words = max((len(k) for k in words.words), default=1)
    words.chunk_lengths = tuple(sorted({len(k) for k in words.chunks}, reverse=True))
    return words


@functools.cache
def intents(path: Path = INTENTS_PATH) -> Intents:
    return load(yaml.safe_load(path.read_text(encoding="utf-8")))
