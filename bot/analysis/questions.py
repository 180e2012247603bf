"""Is a live comment a question, and which one: an intent and a slot, or its words.

Offline and cheap (one regex scan over `intents.yaml`, one over the analysis lexicon's
question cues), since a big show sends hundreds of comments a second. What counts:

- an ask word ("how much", "cuánto", "berapa", "いくら") is a question by itself;
- a topic word ("price", "harga") is one when the comment is marked as a question (? ？ ؟,
  a question cue of the analysis lexicon), is a short request ("harga kak", "price pls")
  or is only a few words long and not praise (live chat is terse: "shipping", but
  "love the color" is no question);
- any other comment marked as a question is grouped by its words (the fallback);
- emoji walls, digits and laughter are never questions.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass

from bot.analysis.intents import Intents, Tag, fold, intents
from bot.analysis.lexicon import lexicon

QUESTION_MARKS = frozenset("?？؟¿⸮")
#: When one comment names several intents, the more specific wins ("how much is shipping
#: to Brazil" is about shipping to Brazil, not the product's price).
PRIORITY = (
    "shipping",
    "delivery_time",
    "discount",
    "material",
    "color",
    "size",
    "stock",
    "where_to_buy",
    "price",
)
_MAX_CHARS = 280
_SHORT_WORDS = 3
_WORD = re.compile(r"[^\W\d_]+")
_LATIN_WORD = re.compile(r"[a-z\u00c0-\u024f\u1e00-\u1eff']{2,}")
_OTHER_RUN = re.compile(r"[^\sa-z0-9\u00c0-\u024f\u1e00-\u1eff\W]+")
_LAUGH = re.compile(r"^(?:[hjk]a|[hjk]e|ha|kk|w|rs|55|笑|哈)+$")
#: Words too common to tell two fallback questions apart.
_STOP_WORDS = (
    "a an the is it this that to of in on for and or you we i me my do does can could will "
    "are be with what how when where which who why el la los las de del en un una es que y "
    "o por para se lo le o os as do da um uma e é em no na pra le les des du et est ce ça "
    "der die das ist und ein eine ich du es wie was yang ini itu ada apa di ke dan kak "
    "please pls"
)
_STOP = frozenset(_STOP_WORDS.split())


@dataclass(frozen=True, slots=True)
class Reading:
    """What the radar understood of one question."""

    #: Grouping key: "price", "shipping:BR", "color:red", or "other:<hash>".
    key: str
    intent: str  # an intent key, or "other"
    slot: str | None
    #: The words of a fallback question, for grouping by overlap.
    tokens: frozenset[str] = frozenset()
    #: Asked in so many words (an ask or request word, a question mark or cue), not only
    #: guessed from a short comment naming a topic ("shipping"): the analyzer's evidence.
    explicit: bool = True


def read_question(text: str, words: Intents | None = None) -> Reading | None:
    """The question a comment asks, or None if it asks nothing. With the shipped words,
    readings are remembered: live chat repeats itself ("price?", "🔥🔥🔥", "ok"), and a
    reading is a pure function of the text."""
    if words is None or words is intents():
        return _read_shipped(text[:_MAX_CHARS])
    return _read(text[:_MAX_CHARS], words)


@functools.lru_cache(maxsize=32_768)
def _read_shipped(text: str) -> Reading | None:
    return _read(text, intents())


def _read(text: str, words: Intents) -> Reading | None:
    letters = _WORD.findall(text)
    if not letters:
        return None  # emoji walls, "!!!", "5555", stickers
    folded = fold(text)
    if all(_LAUGH.match(word) for word in _WORD.findall(folded)):
        return None
    asks: dict[str, int] = {}
    topics: dict[str, int] = {}
    country = colour = None
    request = False
    for start, tag in words.matches(folded):
        if tag.kind == "ask":
            asks.setdefault(tag.name, start)
        elif tag.kind == "topic":
            topics.setdefault(tag.name, start)
        elif tag.kind == "country":
            country = country or tag.name
        elif tag.kind == "colour":
            colour = colour or tag.name
        else:
            request = True
    scan = lexicon().scan(folded)
    mark = any(ch in QUESTION_MARKS for ch in text)
    # A question word opening an exclamation ("qué bonito!", "que linda") is praise.
    cued = bool(scan.cues & {"question", "question_start"}) and not scan.positive
    marked = mark or cued
    # "love the color" is short and names a topic, but it praises: not a question.
    short = len(folded.split()) <= _SHORT_WORDS and not scan.positive
    if asks:
        intent = _first(asks)
        if intent == "price" and "shipping" in topics:
            intent = "shipping"  # "how much is shipping?" asks about shipping
    elif topics and (marked or request or short):
        intent = _first(topics)
    elif marked and country and not colour:
        intent = "shipping"  # "Brasil?" during a live means "do you ship to Brazil?"
    elif marked and colour:
        intent = "color"  # "in red?", "tem vermelho?"
    elif marked:
        tokens = _tokens(folded)
        if not tokens:
            return None
        digest = hashlib.blake2s(" ".join(sorted(tokens)).encode(), digest_size=6).hexdigest()
        return Reading(f"other:{digest}", "other", None, tokens, explicit=True)
    else:
        return None
    if intent in {"stock", "price"} and colour and "color" not in asks:
        # "do you have it in red?", "¿hay en negro?": availability of a colour.
        intent = "color" if intent == "stock" else intent
    if intent == "shipping" or (intent == "delivery_time" and country):
        slot = country
        intent = "shipping" if country else intent
    elif intent == "color":
        slot = colour
    else:
        slot = None
    explicit = bool(asks) or marked or request
    return Reading(f"{intent}:{slot}" if slot else intent, intent, slot, explicit=explicit)


def _first(found: dict[str, int]) -> str:
    return min(found, key=lambda name: PRIORITY.index(name) if name in PRIORITY else 99)


def _tokens(folded: str) -> frozenset[str]:
    """Latin words that carry meaning, and character pairs of other scripts."""
    found = {w for w in _LATIN_WORD.findall(folded) if w not in _STOP}
    for run in _OTHER_RUN.findall(folded):
        if len(run) == 1:
            found.add(run)
        found.update(run[i : i + 2] for i in range(len(run) - 1))
    return frozenset(sorted(found)[:24])


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity of two fallback questions' words."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


__all__ = ["QUESTION_MARKS", "Reading", "Tag", "overlap", "read_question"]
