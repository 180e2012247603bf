"""The offline analyzer's reading of text: which themes, cues and sentiment words it holds.

The words are data (`lexicon.yaml`, next to this file). Here they become one regular
expression built as a trie, so a text is scanned once whatever the number of words (a
plain alternation of 3,000 words is ~50x slower), and every match maps back to what it
signals. Matching is per language family: Latin-script words match whole words, other
scripts (Japanese, Chinese, Thai, Arabic) match anywhere, since they are written without
spaces or with attached particles.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

LEXICON_PATH = Path(__file__).with_name("lexicon.yaml")
#: Languages whose customers often type without accents: "llego" means "llegó".
_ACCENT_FREE = frozenset({"es", "pt", "fr", "de"})
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\uff07": "'"})
#: Keyboard variants of Arabic (hamza on alef, ta marbuta, alef maqsura, tatweel,
#: harakat) and the emoji glue (variation selectors, joiner, skin tones).
_VARIANTS = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ـ": None}
    | dict.fromkeys([*range(0x064B, 0x0660), 0x0670])
    | dict.fromkeys([0xFE0E, 0xFE0F, 0x200D, 0x20E3, *range(0x1F3FB, 0x1F400)])
)
_SENTENCE_START = frozenset(".!?。！？\n;:¿¡،؟")
#: What a term found inside a longer, earlier match still signals: everything but
#: sentiment, which belongs to the longer term ("ไม่ชอบ" is not "ชอบ", "sin problemas" is
#: not "problemas"). A denied theme word is caught by the negation check instead.
_INNER = frozenset({"group", "cue", "term", "problem"})
#: What a longer term inherits from the terms inside it that start where it starts.
_INHERITED = frozenset({"group", "cue"})
_LATIN = re.compile(r"[a-zA-Z\u00c0-\u024f\u1e00-\u1eff]")


def normalize(text: str) -> str:
    """NFKC, casefold, one spelling for Arabic variants and apostrophes, no emoji glue.
    Punctuation is kept: a question mark is a signal."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return unicodedata.normalize("NFKC", folded).translate(_APOSTROPHES).translate(_VARIANTS)


def _strip_accents(term: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", term) if not unicodedata.combining(ch))


def _bounded(term: str) -> bool:
    """Latin-script words match as whole words; other scripts anywhere."""
    return bool(_LATIN.search(term))


@dataclass(frozen=True)
class Concept:
    """A theme the offline analyzer can recognise, e.g. colour_mismatch."""

    key: str
    #: problem (a complaint, negative), mention (neutral theme) or praise.
    kind: str
    urgency: str
    labels: Mapping[str, str]
    all_of: tuple[tuple[str, ...], ...] = ()
    suppresses: tuple[str, ...] = ()

    def label(self, language: str) -> str:
        primary = language.split("-")[0].split("_")[0].lower()
        return self.labels.get(primary) or self.labels["en"]


@dataclass
class Scan:
    """What one text holds, as the lexicon sees it."""

    positive: float = 0.0
    negative: float = 0.0
    thanks: int = 0
    #: Concepts found, in the lexicon's order (most specific problems first).
    concepts: list[str] = field(default_factory=list)
    #: Concepts found with evidence of a problem (all of a problem concept's words, the
    #: problem words of a mention concept: "shipping was expensive").
    problems: set[str] = field(default_factory=set)
    cues: set[str] = field(default_factory=set)
    question_mark: bool = False

    @property
    def evidence(self) -> float:
        return self.positive + self.negative


@dataclass(frozen=True)
class _Tag:
    kind: str  # term, problem, group, cue, pos, neg, neutral, thanks
    name: str
    languages: frozenset[str]


class Lexicon:
    """The compiled lexicon; build once (`lexicon()`), scan many texts."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.version = int(data.get("version", 1))
        self.concepts: dict[str, Concept] = {}
        tags: dict[str, dict[tuple[str, str], set[str]]] = {}
        negators: dict[str, list[str]] = {}

        def add(kind: str, name: str, by_language: Mapping[str, Iterable[str]]) -> None:
            for language, terms in (by_language or {}).items():
                for raw in terms or ():
                    if not isinstance(raw, str):  # YAML reads a bare no as False
                        raise ValueError(f"lexicon {kind} {name} {language}: quote {raw!r}")
                    for term in self._spellings(raw, language):
                        tags.setdefault(term, {}).setdefault((kind, name), set()).add(language)

        for name, groups in data.get("groups", {}).items():
            add("group", name, groups)
        for key, spec in data.get("concepts", {}).items():
            self.concepts[key] = Concept(
                key=key,
                kind=spec.get("kind", "mention"),
                urgency=spec.get("urgency", "none"),
                labels=dict(spec.get("label", {})),
                all_of=tuple(tuple(alt) for alt in spec.get("all_of", ())),
                suppresses=tuple(spec.get("suppresses", ())),
            )
            add("term", key, spec.get("terms", {}))
            add("problem", key, spec.get("problems", {}))
        for name, by_language in data.get("cues", {}).items():
            add("cue", name, by_language)
        sentiment = data.get("sentiment", {})
        for kind, tag in (("positive", "pos"), ("negative", "neg"), ("neutral", "neutral")):
            add(tag, kind, sentiment.get(kind, {}))
        add("thanks", "thanks", sentiment.get("thanks", {}))
        for language, words in sentiment.get("negators", {}).items():
            negators[language] = [normalize(w) for w in words or ()]
        self.emoji_positive = frozenset(normalize(sentiment.get("emoji_positive", "")))
        self.emoji_negative = frozenset(normalize(sentiment.get("emoji_negative", "")))

        self._tags = {
            term: tuple(_Tag(k, n, frozenset(langs)) for (k, n), langs in found.items())
            for term, found in tags.items()
        }
        self._inherit()
        self._exact = {t.rstrip("*"): v for t, v in self._tags.items() if not t.endswith("*")}
        self._stems = {t[:-1]: v for t, v in self._tags.items() if t.endswith("*")}
        self._pattern = _compile(self._tags)
        self._negators = {
            language: _negator_pattern(words) for language, words in negators.items() if words
        }

    @staticmethod
    def _spellings(raw: str, language: str) -> set[str]:
        term = normalize(raw).strip()
        if not term:
            return set()
        spellings = {term}
        if language in _ACCENT_FREE:
            spellings.add(_strip_accents(term))
        return spellings

    def _inherit(self) -> None:
        """A longer term also signals the theme groups and cues inside it ("muy tarde"
        holds "tarde"), and their sentiment unless it has its own ("sin problemas")."""
        plain = {t for t in self._tags if not t.endswith("*")}
        longest = max((len(t) for t in plain if not _bounded(t)), default=0)
        updated: dict[str, tuple[_Tag, ...]] = {}
        for term, own in self._tags.items():
            inside: list[_Tag] = []
            for part in _parts(term.rstrip("*"), longest):
                if part != term and part in plain:
                    inside.extend(self._tags[part])
            if not inside:
                continue
            sentiment = {"pos", "neg", "neutral"}
            has_sentiment = any(t.kind in sentiment for t in own)
            extra = [
                t
                for t in inside
                if t not in own
                and (t.kind in _INHERITED or (t.kind in sentiment and not has_sentiment))
            ]
            if extra:
                updated[term] = own + tuple(dict.fromkeys(extra))
        self._tags.update(updated)

    def tags_of(self, matched: str) -> tuple[_Tag, ...]:
        found = self._exact.get(matched)
        if found is not None:
            return found
        for end in range(len(matched), 0, -1):
            stem = self._stems.get(matched[:end])
            if stem is not None:
                return stem
        return ()

    def negated(self, text: str, start: int, languages: frozenset[str] | None) -> bool:
        before = text[max(0, start - 40) : start]
        if not before:
            return False
        for language, pattern in self._negators.items():
            if (languages is None or language in languages) and pattern.search(before):
                return True
        return False

    def scan(self, text: str, languages: frozenset[str] | None = None) -> Scan:
        """Read a normalized text. `languages`: the ones it may be written in (detected
        language, the customer's locale, English); None reads every language's words."""
        scan = Scan(question_mark=any(ch in "?？؟" for ch in text))
        groups: set[str] = set()
        terms: set[str] = set()
        feelings: list[tuple[int, float, float]] = []  # (where, positive, negative)
        contrast = -1
        # Overlapping search: "สีเข้มกว่า" holds "สีเข้ม" (colour) and "เข้มกว่า" (darker);
        # "box arrived crushed" (packaging) holds "crushed" (damaged).
        position, covered = 0, 0
        while (match := self._pattern.search(text, position)) is not None:
            start = match.start()
            position = start + 1
            contained = match.end() <= covered
            covered = max(covered, match.end())
            tags = [
                t
                for t in self.tags_of(match.group(0))
                if (languages is None or t.languages & languages)
                and (not contained or t.kind in _INNER)
            ]
            if not tags:
                continue
            negated = self.negated(text, start, languages)
            for tag in tags:
                if tag.kind == "cue" and tag.name == "contrast":
                    contrast = start
                elif tag.kind in ("pos", "neg"):
                    feelings.append((start, *_feeling(tag.kind == "pos", negated)))
                else:
                    _note(scan, tag, negated, text, start, groups, terms)
        for where, char in enumerate(text):
            if char in self.emoji_positive:
                feelings.append((where, 1.0, 0.0))
            elif char in self.emoji_negative:
                feelings.append((where, 0.0, 1.0))
        # "Pretty, but I expected more for the price": what follows "but" weighs more.
        for where, positive, negative in feelings:
            weight = 0.5 if where < contrast else 1.0
            scan.positive += weight * positive
            scan.negative += weight * negative
        self._concepts(scan, groups, terms)
        return scan

    def _concepts(self, scan: Scan, groups: set[str], terms: set[str]) -> None:
        found: list[str] = []
        for key, concept in self.concepts.items():
            by_groups = bool(groups) and any(
                all(g in groups for g in alt) for alt in concept.all_of
            )
            if key in terms or key in scan.problems or by_groups:
                found.append(key)
                if concept.kind == "problem":
                    scan.problems.add(key)
        dropped = {s for key in found for s in self.concepts[key].suppresses}
        scan.concepts = [key for key in found if key not in dropped]
        scan.problems = {key for key in scan.problems if key in scan.concepts}
        # Every distinct problem reads negative, even said in neutral words.
        scan.negative += len(scan.problems)


def _feeling(positive: bool, negated: bool) -> tuple[float, float]:
    """(positive, negative) weight of one sentiment word; "not bad" is faint praise."""
    if positive:
        return (0.0, 1.0) if negated else (1.0, 0.0)
    return (0.5, 0.0) if negated else (0.0, 1.0)


def _note(
    scan: Scan, tag: _Tag, negated: bool, text: str, start: int, groups: set[str], terms: set[str]
) -> None:
    if tag.kind == "thanks":
        scan.thanks += 1
    elif negated or tag.kind == "neutral":
        return  # "sin daños", "nothing broken": the theme word is denied
    elif tag.kind == "group":
        groups.add(tag.name)
    elif tag.kind == "term":
        terms.add(tag.name)
    elif tag.kind == "problem":
        scan.problems.add(tag.name)
    elif tag.kind == "cue":
        if tag.name == "question_start":
            head = text[:start].rstrip()
            if head and head[-1] not in _SENTENCE_START:
                return
            scan.cues.add("question")
        else:
            scan.cues.add(tag.name)


def _parts(term: str, longest_unbounded: int) -> Iterable[str]:
    """The pieces of a term another term could be: word spans for Latin script,
    substrings for the others."""
    if _bounded(term):
        words = term.split()
        for i in range(len(words)):
            for j in range(i + 1, len(words) + 1):
                yield " ".join(words[i:j])
        return
    for i in range(len(term)):
        for j in range(i + 1, min(len(term), i + longest_unbounded) + 1):
            yield term[i:j]


def _trie(terms: Iterable[str], end: str) -> str:
    root: dict[str, Any] = {}
    for term in terms:
        node = root
        stem = term.endswith("*")
        for ch in term.rstrip("*") if stem else term:
            node = node.setdefault(ch, {})
        node["" if not stem else "*"] = True

    def build(node: dict[str, Any]) -> str:
        alternatives = [re.escape(ch) + build(child) for ch, child in sorted(_children(node))]
        if "" in node:
            alternatives.append(end)
        if "*" in node:
            alternatives.append(r"\w*")
        if len(alternatives) == 1:
            return alternatives[0]
        return "(?:" + "|".join(alternatives) + ")"

    return build(root)


def _children(node: dict[str, Any]) -> Iterable[tuple[str, dict[str, Any]]]:
    return ((k, v) for k, v in node.items() if k not in ("", "*"))


def _compile(tags: Mapping[str, object]) -> re.Pattern[str]:
    """One pass over a text finds every term, longest first at each position."""
    bounded = [t for t in tags if _bounded(t)]
    free = [t for t in tags if not _bounded(t)]
    parts = []
    if bounded:
        parts.append(r"(?<!\w)" + _trie(bounded, r"(?!\w)"))
    if free:
        parts.append(_trie(free, ""))
    return re.compile("|".join(parts))


def _negator_pattern(words: list[str]) -> re.Pattern[str]:
    """A negator right before a word; in Latin and Arabic script one word may sit in
    between ("no me gusta", "nicht so gut"), but not punctuation ("No, me encanta")."""
    spaced = [w for w in words if _bounded(w) or re.search(r"[\u0600-\u06ff]", w)]
    tight = [w for w in words if w not in spaced]
    parts = []
    if spaced:
        alternation = "|".join(re.escape(w) for w in sorted(spaced, key=len, reverse=True))
        parts.append(rf"(?<!\w)(?:{alternation})\s+(?:\w+\s+)?$")
    if tight:
        alternation = "|".join(re.escape(w) for w in sorted(tight, key=len, reverse=True))
        parts.append(rf"(?:{alternation})\s*$")
    return re.compile("|".join(parts))


@functools.cache
def lexicon(path: Path = LEXICON_PATH) -> Lexicon:
    """The shipped lexicon, compiled once per process (~0.1 s)."""
    with path.open(encoding="utf-8") as fh:
        return Lexicon(yaml.safe_load(fh))
