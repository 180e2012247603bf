"""The radar's board: questions grouped, ranked by distinct viewers with decay.

One entry per question (intent + slot, or overlapping words for the rest). Each entry
remembers each viewer once, with the time they last asked, so a viewer who repeats
"price??" twenty times is one viewer, and a question nobody asked for a while sinks:
its score is the sum over viewers of exp(-age / tau) within a sliding window. Memory is
bounded by the window (viewers older than it are dropped, oldest first, since the per-
entry dict is kept in asking order) and by `max_groups` (the weakest entries go first);
no comment is kept beyond what an entry shows (a few originals).
"""

from __future__ import annotations

import math
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.analysis.intents import Intents, intents
from bot.analysis.language import detect_many, primary
from bot.analysis.questions import Reading, overlap, read_question
from bot.radar.comment import LiveComment

#: Two fallback questions with at least this share of words in common are one.
SAME_WORDS = 0.5
_ORIGINALS = 6
_OTHER_SCAN = 200
#: Babel names the United Kingdom "GB".

#: Exponent beyond which a group's running score is rebased (exp(700) overflows).
_REBASE = 300.0
#: Texts whose detected language is remembered.
_LANGUAGES_KEPT = 20_000


@dataclass(frozen=True)
class Entry:
    """One question as the host sees it."""

    key: str
    label: str
    #: Distinct viewers who asked within the window.
    count: int
    score: float
    #: Where the askers are: the region of their locale, else their language ("BR", "ja").
    markets: tuple[str, ...]
    original: str
    original_language: str | None
    #: True when the label is a model's or the lexicon's rendering in the team language.
    translated: bool
    originals: tuple[str, ...] = ()


@dataclass
class _Group:
    reading: Reading
    first_at: float
    viewers: OrderedDict[str, float] = field(default_factory=OrderedDict)
    #: Σ exp((at - base) / tau) over the viewers: the decayed score kept up to date as
    #: viewers come, re-ask and leave, so ranking costs O(1) per group, not O(viewers).
    mass: float = 0.0
    base: float = 0.0
    markets: Counter[str] = field(default_factory=Counter)
    originals: dict[str, str] = field(default_factory=dict)
    answered_at: float | None = None
    canonical: str | None = None
    asked: int = 0


@dataclass(frozen=True, slots=True)
class Seen:
    """What the radar made of one comment (the store keeps it with the comment)."""

    comment: LiveComment
    reading: Reading | None
    language: str | None


class Radar:
    def __init__(
        self,
        team_language: str = "en",
        *,
        window_seconds: float = 600.0,
        half_life_seconds: float = 180.0,
        max_groups: int = 500,
        reask_viewers: int = 3,
        words: Intents | None = None,
    ) -> None:
        self.team_language = primary(team_language) or "en"
        self.window = window_seconds
        self.tau = half_life_seconds / math.log(2)
        self.max_groups = max_groups
        self.reask_viewers = reask_viewers
        self.words = words or intents()
        self.groups: dict[str, _Group] = {}
        self._others: OrderedDict[str, None] = OrderedDict()
        self.comments = 0
        self.questions = 0
        self._languages: OrderedDict[tuple[str, str | None], str | None] = OrderedDict()
        #: Detections answered from memory (the benchmark prints the share).
        self.detections_saved = 0

    # -- in ----------------------------------------------------------------------------
    def ingest(self, comments: Sequence[LiveComment]) -> list[Seen]:
        readings = [read_question(c.text, self.words) for c in comments]
        # Language only matters for a viewer new to an entry (markets, originals): a
        # viewer repeating "price??" is not detected again.
        asking = [
            i
            for i, r in enumerate(readings)
            if r is not None
            and (r.key not in self.groups or comments[i].viewer not in self.groups[r.key].viewers)
        ]
        languages: list[str | None] = [None] * len(comments)
        # Detection is remembered per (text, hint): live chat repeats itself, and the
        # detector is the costliest step. Bounded, oldest forgotten first.
        unknown = []
        for i in asking:
            said = (comments[i].text, comments[i].language_hint)
            if said in self._languages:
                self._languages.move_to_end(said)
                languages[i] = self._languages[said]
                self.detections_saved += 1
            else:
                unknown.append(i)
        if unknown:
            found = detect_many(
                [comments[i].text for i in unknown], [comments[i].language_hint for i in unknown]
            )
            for index, detection in zip(unknown, found, strict=True):
                language = detection.language or primary(comments[index].language_hint)
                languages[index] = language
                self._languages[(comments[index].text, comments[index].language_hint)] = language
            while len(self._languages) > _LANGUAGES_KEPT:
                self._languages.popitem(last=False)
        seen: list[Seen] = []
        for comment, reading, language in zip(comments, readings, languages, strict=True):
            self.comments += 1
            if reading is not None:
                reading = self._add(comment, reading, language)
            seen.append(Seen(comment, reading, language))
        return seen

    def _add(self, comment: LiveComment, reading: Reading, language: str | None) -> Reading:
        self.questions += 1
        at = comment.at.timestamp()
        if reading.intent == "other":
            reading = self._similar(reading)
        group = self.groups.get(reading.key)
        if group is None:
            group = self.groups[reading.key] = _Group(reading, at, base=at)
            if reading.intent == "other":
                self._others[reading.key] = None
                while len(self._others) > _OTHER_SCAN:
                    self._others.popitem(last=False)
        elif (at - group.base) / self.tau > _REBASE:  # days of one question: keep exp finite
            group.mass *= math.exp((group.base - at) / self.tau)
            group.base = at
        if group.answered_at is not None and at <= group.answered_at:
            return group.reading  # said before the host answered: already covered
        viewer = comment.viewer
        if viewer in group.viewers:
            before = group.viewers.pop(viewer)
            group.viewers[viewer] = at
            group.mass += self._weight(group, at) - self._weight(group, before)
            return group.reading
        group.viewers[viewer] = at
        group.mass += self._weight(group, at)
        group.asked += 1
        group.markets[_market(comment.language_hint, language)] += 1
        if len(group.originals) < _ORIGINALS and (language or "?") not in group.originals:
            group.originals[language or "?"] = comment.text.strip()[:200]
        return group.reading

    def _similar(self, reading: Reading) -> Reading:
        if reading.key in self.groups:
            return reading
        best, best_score = None, SAME_WORDS
        for key in reversed(self._others):
            group = self.groups.get(key)
            if group is None:
                continue
            score = overlap(reading.tokens, group.reading.tokens)
            if score >= best_score:
                best, best_score = group.reading, score
        return best or reading

    # -- host actions --------------------------------------------------------------------
    def answer(self, key: str, now: float) -> bool:
        """The host answered: the entry leaves the board until new viewers ask again."""
        group = self.groups.get(key)
        if group is None:
            return False
        group.answered_at = now
        group.viewers.clear()
        group.mass = 0.0
        return True

    def set_canonical(self, key: str, text: str) -> None:
        if key in self.groups:
            self.groups[key].canonical = text

    # -- out -----------------------------------------------------------------------------
    def prune(self, now: float) -> None:
        horizon = now - self.window
        for key in list(self.groups):
            group = self.groups[key]
            viewers = group.viewers
            while viewers and next(iter(viewers.values())) < horizon:
                _, left = viewers.popitem(last=False)
                group.mass -= self._weight(group, left)
            if not viewers:
                group.mass = 0.0  # no rounding left behind
            if not viewers and (group.answered_at or group.first_at) < horizon:
                del self.groups[key]
        if len(self.groups) > self.max_groups:
            ranked = sorted(self.groups, key=lambda k: self._score(self.groups[k], now))
            for key in ranked[: len(self.groups) - self.max_groups]:
                del self.groups[key]

    def top(self, now: float, limit: int = 10) -> list[Entry]:
        self.prune(now)
        scored = []
        for group in self.groups.values():
            count = len(group.viewers)
            if not count:
                continue
            if group.answered_at is not None and count < self.reask_viewers:
                continue
            scored.append((self._score(group, now), count, group))
        scored.sort(key=lambda row: (row[0], row[1]), reverse=True)
        return [self._entry(g, score, count) for score, count, g in scored[:limit]]

    def unlabelled(self, now: float, limit: int = 20) -> list[tuple[str, tuple[str, ...]]]:
        """Top entries without a model's canonical question yet, with their originals."""
        return [
            (e.key, e.originals)
            for e in self.top(now, limit)
            if self.groups[e.key].canonical is None
        ]

    def _score(self, group: _Group, now: float) -> float:
        """Σ exp(-(now - at) / tau) over the group's viewers, from the running mass."""
        return max(0.0, group.mass) * math.exp((group.base - now) / self.tau)

    def _weight(self, group: _Group, at: float) -> float:
        return math.exp((at - group.base) / self.tau)

    def _entry(self, group: _Group, score: float, count: int) -> Entry:
        label, translated = self.label(group)
        language, original = _pick_original(group.originals, self.team_language)
        return Entry(
            key=group.reading.key,
            label=label,
            count=count,
            score=round(score, 3),
            markets=tuple(m for m, _ in group.markets.most_common(4)),
            original=original,
            original_language=None if language == "?" else language,
            translated=translated,
            originals=tuple(group.originals.values()),
        )

    def label(self, group: _Group) -> tuple[str, bool]:
        if group.canonical:
            return group.canonical, True
        reading = group.reading
        if reading.intent == "other":
            _, original = _pick_original(group.originals, self.team_language)
            return original, self.team_language in group.originals
        return self.label_of(reading.intent, reading.slot), True

    def label_of(self, intent: str, slot: str | None) -> str:
        return self.words.label(intent, slot, self.team_language)


def _market(hint: str | None, language: str | None) -> str:
    if hint:
        parts = hint.replace("_", "-").split("-")
        if len(parts) > 1 and len(parts[-1]) == 2:
            return parts[-1].upper()
    return language or "?"


def _pick_original(originals: dict[str, str], team_language: str) -> tuple[str, str]:
    """One original to show beside the label: preferably not in the team's language
    (the label already is), so the host sees how viewers asked."""
    for language, text in originals.items():
        if language != team_language:
            return language, text
    return next(iter(originals.items()), ("?", ""))
