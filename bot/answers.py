"""Read one inbound message as the answer to one survey question.

Customers answer from many countries and keyboards: a button tap, "4", "٤", "４", "4/5",
"cuatro", "五つ星", "⭐⭐⭐⭐", "👍", "late and damaged", a voice note or a photo. Everything
here is a pure function of the message, so the conversation decides what to do with the
result (store it, re-ask, say goodbye) and these rules can be tested exhaustively. Nothing
raises on odd input and the matchers never read past the first MAX_CHARS characters.
Words in every language live in `bot.lexicon`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from bot import lexicon
from bot.flows import Question, QuestionType
from bot.messages import Media
from bot.optout import is_delete_request, is_stop
from bot.textkeys import MAX_CHARS, normalize_text
from bot.textkeys import fold as _fold
from bot.textkeys import glued as _glued
from bot.textkeys import phrase_key as _phrase_key
from bot.textkeys import plain as _plain
from bot.textkeys import simplified as _simplified
from bot.textkeys import trim as _trim
from bot.textkeys import unspaced as _unspaced
from bot.textkeys import word_key as _word_key

#: More parts than this in a multiple-choice answer is not an answer.
MAX_PARTS = 25
#: How many words before a choice text found inside a message a negation still turns it
#: around: "не прийшло вчасно", "δεν ήρθε κανονικά" (a verb between).
INSIDE_NEGATION_REACH = 2

_RANGES = {QuestionType.RATING: (1, 5), QuestionType.NPS: (0, 10)}


@dataclass(frozen=True)
class Parsed:
    """A recognised answer.

    `value` is normalized: rating "1".."5", nps "0".."10", single a choice id, multi the
    choice ids in flow order joined by ",", text the stripped text; None for a photo or
    voice note (the caller keeps the media) and for a skipped optional question.
    """

    value: str | None
    skipped: bool = False


@lru_cache(maxsize=4096)
def _label_key(label: str) -> str:
    return _simplified(_fold(_word_key(label)))


def _strip_affix(text: str, words: tuple[str, ...]) -> str:
    """`text` without one leading or trailing word of `words` (longest first)."""
    for word in words:
        if len(text) > len(word):
            if text.endswith(word) and (_unspaced(word[0]) or text[-len(word) - 1] == " "):
                return _trim(text[: -len(word)], "P")
            if text.startswith(word) and (_unspaced(word[-1]) or text[len(word)] == " "):
                return _trim(text[len(word) :], "P")
    return text


def _longest_first(words: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({w for w in words if w}, key=lambda w: (-len(w), w)))


def _alternation(words: Iterable[str]) -> str:
    return "|".join(map(re.escape, _longest_first(words)))


def _trie(words: Iterable[str]) -> str:
    """A pattern matching exactly `words`, the longest first, shaped as a trie. Python's
    regex engine tries every branch of an alternation at every position: for hundreds
    of words that cost 0.2 ms on a one-line answer, and grew with the answer's length;
    a trie follows one path per position. Same matches, same preference."""
    root: dict[str, Any] = {}
    for word in words:
        if word:
            node = root
            for ch in word:
                node = node.setdefault(ch, {})
            node[""] = {}  # a word ends here

    def pattern(node: dict[str, Any]) -> str:
        branches = [re.escape(ch) + pattern(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        if "" in node:  # a shorter word ends here: the longer ones first, then this one
            return "(?:" + "|".join(branches) + ")?"
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return pattern(root)


def _language(tag: str | None) -> str:
    return (tag or "").replace("_", "-").split("-")[0].casefold()


_NUMBERS = {_word_key(w): n for w, n in lexicon.NUMBER_WORDS.items()}
_NOT_NUMBERS = {lang: set(map(_word_key, ws)) for lang, ws in lexicon.NOT_A_NUMBER_IN.items()}
_UNITS = _longest_first(map(_word_key, lexicon.SCALE_UNITS))
_POLITE = _longest_first(map(_phrase_key, lexicon.POLITE_WORDS))
_SKIP = frozenset(map(_phrase_key, lexicon.SKIP_WORDS))
_STARS = frozenset(lexicon.STAR_CHARS)
_NEGATIONS = frozenset(_fold(_word_key(w)) for w in lexicon.NEGATIONS)
_EMOJI = {_plain(e): n for e, n in lexicon.RATING_EMOJI.items()}
_NO = frozenset(_label_key(w) for w in lexicon.NO_ANSWERS)
_FILLERS = re.compile(rf"(?<!\w)(?:{_trie(map(_word_key, lexicon.FILLER_WORDS))})(?!\w)")
_ENDINGS = _longest_first(w for w in map(_word_key, lexicon.POLITE_SUFFIXES) if _glued(w[0]))
_COUNTED = re.compile(
    r"\d+\s*(?:"
    + "|".join(
        re.escape(w) + ("" if _glued(w[-1]) else r"(?!\w)")
        for w in _longest_first(map(_word_key, lexicon.COUNT_NOUNS))
    )
    + ")"
)
_LIST_LINE = re.compile(r"(\d{1,2})\s*[.)\-:]\s*(\S.*)", re.ASCII | re.DOTALL)

_OUT_OF = _alternation(map(_word_key, lexicon.OUT_OF))
_SCALE = re.compile(rf"(\d+)\s*(?:/|\s(?:{_OUT_OF})\s)\s*(?:5|10)(?!\d)", re.ASCII)
_SCALE_WORDS = re.compile(rf"(.+?)\s*(?:/|\s(?:{_OUT_OF})\s)\s*(.+)")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*", re.ASCII)

_AND = [k for k in map(_word_key, lexicon.AND_WORDS) if k]  # "&", "+" split as punctuation
_AND_ONLY_IN = {_word_key(w): langs for w, langs in lexicon.AND_WORDS_ONLY_IN.items()}
_AND_PREFIXES = "".join(lexicon.AND_PREFIXES)


@lru_cache(maxsize=64)
def _and_splitter(language: str) -> re.Pattern[str]:
    """The spaced "and" words of any language, and those of `language` only."""
    words = [w for w in _AND if not _unspaced(w[0])]
    words = [w for w in words if language in _AND_ONLY_IN.get(w, {language})]
    return re.compile(rf"(?:^|\s)(?:{_alternation(words)})(?=\s|$)")


#: Where a word boundary is read as "and" (bot.answers._resolve, in this order).
_AND_SPLITTER = 1
_WORDS_SPLITTER = 3
_SPLITTERS = (
    re.compile(r"[,;/|+&、・،؛\n]"),
    _and_splitter(""),
    re.compile(rf"\s+[{_AND_PREFIXES}](?=\w)"),  # "שבור וחסר חלק", "متأخر ومكسور"
    re.compile(r"\s+"),
    re.compile(_alternation(w for w in _AND if _unspaced(w[0]))),
)


# -- numbers --------------------------------------------------------------------------


def read_number(text: str) -> int | None:
    """The one number a message gives, in any script or language: "4", "٣", "３", "4/5",
    "4 stars", "cuatro", "quatro estrelas", "五", "⭐⭐⭐⭐", "★★★☆☆" (3). None when there is
    no number or more than one ("3 or 4", "4.5"); range checks are the caller's."""
    return _number(_word_key(text or ""))


def _number(key: str) -> int | None:
    if not key:
        return None
    stars = sum(ch in _STARS for ch in key)
    found = _NUMBER.findall(_SCALE.sub(r"\1", key))
    if len(found) > 1:
        return None
    if found and _COUNTED.search(key):
        return None  # "took 5 days", "1 item was missing": a count, not a rating
    if found:
        token = found[0]
        if not token.isdigit() or len(token) > 6:
            return None
        value = int(token)
        return value if stars in (0, 1, value) else None  # "5⭐" is five
    if stars:
        return stars
    match = _SCALE_WORDS.fullmatch(key)
    if match and _number_word(match[2]) in (5, 10):  # "cuatro de cinco"
        key = match[1]
    return _number_word(key)


def _number_word(key: str) -> int | None:
    """A whole message that is a number word, maybe with a unit ("五つ星", "lima bintang")."""
    for _ in range(4):
        value = _NUMBERS.get(key)
        if value is not None:
            return value
        shorter = _strip_affix(key, _UNITS)
        if shorter == key:
            return None
        key = shorter
    return None


def _emoji_rating(key: str) -> int | None:
    """A rating from a message made only of rating emoji (one code point each once glue
    and skin tones are gone) that all agree."""
    values = {_EMOJI.get(ch) for ch in key.replace(" ", "")}
    return values.pop() if len(values) == 1 else None


# -- answers --------------------------------------------------------------------------


def parse_answer(
    question: Question,
    text: str | None,
    choice: str | None,
    media: tuple[Media, ...],
    locale: str,
) -> Parsed | None:
    """Read a message as the answer to `question`; None when it does not answer it.

    A tapped button ("<question_id>:<value>") for this question wins; any other payload
    is ignored. `locale` (BCP 47) only breaks ties between choices; every language is
    always understood. Optional questions accept a skip word ("no", "nada", "なし").
    """
    tapped = _from_payload(question, choice)
    if tapped is not None:
        return Parsed(tapped)
    media = tuple(media or ())
    if question.type is QuestionType.TEXT:
        return _text_answer(question, text, media)
    if question.type is QuestionType.PHOTO:
        if any(m.kind in ("image", "video") for m in media):
            return Parsed(None)
        return _skip(question, text)
    language = _language(locale)
    key = _word_key(text or "")
    if key not in _NOT_NUMBERS.get(language, ()):
        value = _value(question, key, language)
        if value is not None:
            return Parsed(value)
    return _skip(question, text)


def _from_payload(question: Question, choice: str | None) -> str | None:
    """The value of a button payload for this question, if it is a valid one."""
    question_id, colon, raw = (choice or "").partition(":")
    if not colon or question_id.strip() != question.id:
        return None
    raw = raw.strip()
    bounds = _RANGES.get(question.type)
    if bounds:
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 2):
            return None
        return str(int(raw)) if bounds[0] <= int(raw) <= bounds[1] else None
    return raw if raw in {c.id for c in question.choices} else None


def _skip(question: Question, text: str | None) -> Parsed | None:
    """A skip word, with its courtesy ("nada gracias", "wala na po") on an optional question."""
    if question.optional and text:
        key = _phrase_key(text)
        if key in _SKIP or _courteous(key) in _SKIP:
            return Parsed(None, skipped=True)
    return None


def _text_answer(question: Question, text: str | None, media: tuple[Media, ...]) -> Parsed | None:
    stripped = (text or "").replace("\x00", "").strip()
    if any(unicodedata.category(ch)[0] not in "CZ" for ch in stripped[:MAX_CHARS]):
        skipped = None if media else _skip(question, stripped)
        return skipped or Parsed(stripped)
    return Parsed(None) if media else None


def _value(question: Question, key: str, language: str) -> str | None:
    """The normalized value a (non-empty) message gives a rating, nps or choice question."""
    if question.type in (QuestionType.SINGLE, QuestionType.MULTI):
        for candidate in _readings(key):
            picked = _pick(question, candidate, language)
            if picked is not None:
                return picked
        return None
    value = _number(key)
    if value is None and question.type is QuestionType.RATING:
        value = _emoji_rating(key)
    if value is None:
        plainer = _courteous(key)
        value = _number(plainer) if plainer != key else None
    low, high = _RANGES[question.type]
    return str(value) if value is not None and low <= value <= high else None


def _pick(question: Question, key: str, language: str) -> str | None:
    """The choice ids `key` names, in flow order; None when nothing or a contradiction
    ("No problems" with "Arrived late") is named, so the customer is asked again."""
    if question.type is QuestionType.SINGLE:
        return _choose_one(question, key, language)
    picked = set(
        _resolve(question, key, language, 0, loose=False)
        or _resolve(question, key, language, 0, loose=True)
        or ()
    )
    exclusive = {c.id for c in question.choices if c.exclusive}
    if len(picked) > 1 and picked & exclusive:
        return None
    return ",".join(c.id for c in question.choices if c.id in picked) or None


def _readings(key: str) -> list[str]:
    """`key` as typed, then without emoji, courtesy and stretched letters ("love it 😍😍",
    "suka banget kak", "ชอบมากกก"), then a copied list line without its number."""
    out = [key]
    symbols = _trim(
        " ".join("".join(" " if unicodedata.category(ch)[0] == "S" else ch for ch in key).split()),
        "P",
    )
    calmer = _courteous(symbols)
    stretched = re.sub(r"([^\W\d_])\1{2,}", r"\1", calmer)  # letters only: "555" is a laugh
    for candidate in (symbols, calmer, stretched):
        if candidate and candidate not in out:
            out.append(candidate)
    return out


def _courteous(key: str) -> str:
    """`key` without polite words, forms of address and glued polite endings:
    "lima po" -> "lima", "ห้าค่ะ" -> "ห้า", "五つ星です" -> "五つ星"."""
    text = " ".join(_FILLERS.sub(" ", key).split()) or key
    for _ in range(3):
        for ending in _ENDINGS:
            if len(text) > len(ending) and text.endswith(ending):
                text = _trim(text[: -len(ending)], "P")
                break
        else:
            break
    return text


def _choose_one(question: Question, part: str, language: str, loose: bool = True) -> str | None:
    """One choice: its text, an alias or a synonym, a number 1..N, a bare "no" for the
    "nothing applies" choice, a unique prefix or word, a synonym inside the message, a
    copied list line ("1. Love it"), then one typo in a longer word ("damged")."""
    line = _LIST_LINE.fullmatch(part)
    if line:  # the number and the words must name the same choice
        number, rest = int(line[1]), _choose_strict(question, line[2], language, loose)
        listed = question.choices[number - 1].id if 1 <= number <= len(question.choices) else None
        return rest if rest is not None and listed in (None, rest) else None
    found = _choose_strict(question, part, language, loose)
    if found is not None:
        return found
    return _match(question, _label_key(part), language, "typo")


def _choose_strict(question: Question, part: str, language: str, loose: bool) -> str | None:
    """One choice: its text in any locale or an alias, a number 1..N, then a unique
    prefix of a text, then a unique word inside one."""
    label = _simplified(_fold(part))
    exact = _match(question, label, language, "exact")
    if exact is not None:
        return exact
    digits = _trim(part, "P")
    plain = digits.isascii() and digits.isdigit() and len(digits) <= 3  # not "⓵" or "²"
    number = int(digits) if plain else _NUMBERS.get(digits)
    if number is not None:
        return question.choices[number - 1].id if 1 <= number <= len(question.choices) else None
    if label in _NO:
        exclusive = [c.id for c in question.choices if c.exclusive]
        return exclusive[0] if len(exclusive) == 1 else None
    for mode in ("prefix", "word", "inside") if loose else ("prefix", "word"):
        found = _match(question, label, language, mode)
        if found is not None:
            return found
    return None


def _match(question: Question, label: str, language: str, mode: str) -> str | None:
    """The one choice whose text or alias equals `label` ("exact"), starts with it
    ("prefix") or has a word starting with it ("word": "late" -> "Arrived late")."""
    if not label or (mode != "exact" and len(label) < (2 if _unspaced(label[0]) else 3)):
        return None
    texts = _texts_of(question)
    key = (label, language, mode)
    if key in texts.matched:
        return texts.matched[key]
    found = _match_in(texts, label, language, mode)
    if len(texts.matched) >= MATCHES_KEPT:
        texts.matched.clear()
    texts.matched[key] = found
    return found


def _match_in(texts: _ChoiceTexts, label: str, language: str, mode: str) -> str | None:
    hits: dict[str, bool] = {}  # choice id -> matched a text in the customer's language
    longest: dict[str, str] = {}  # choice id -> its longest text found ("inside" only)
    candidates = texts.exact.get(label, ()) if mode == "exact" else texts.narrowed(label, mode)
    for choice_id, text_language, candidate in candidates:
        if mode == "exact" or _hit(candidate, label, mode):
            hits[choice_id] = hits.get(choice_id, False) or text_language == language
            if len(candidate) > len(longest.get(choice_id, "")):
                longest[choice_id] = candidate
    if len(hits) == 1:
        return next(iter(hits))
    if mode == "inside" and longest:  # "anders dan in de live" holds "anders": longer wins
        best = max(longest, key=lambda c: len(longest[c]))
        others = [text for choice_id, text in longest.items() if choice_id != best]
        if all(text in longest[best] and text != longest[best] for text in others):
            return best
    preferred = [choice_id for choice_id, mine in hits.items() if mine]
    return preferred[0] if len(preferred) == 1 else None


#: (choice id, language of the text or None for an alias, the text as `_label_key` reads it)
_Text = tuple[str, str | None, str]


@dataclass(frozen=True)
class _ChoiceTexts:
    """Every text a question's choices are known by, read once per question: `_match`
    ran `_label_key` over every locale's texts and synonyms for every reply (a quarter
    of the inbound handler's CPU), though a flow's texts never change."""

    all: tuple[_Text, ...]
    exact: dict[str, tuple[_Text, ...]]
    #: Positions in `all` of the texts that begin with a character, that hold it, and
    #: of each length: `narrowed` looks only at texts that can match at all.
    by_first: dict[str, tuple[int, ...]]
    by_char: dict[str, tuple[int, ...]]
    by_length: dict[int, tuple[int, ...]]
    #: (label, language, mode) -> what `_match` found: customers' messages are made of
    #: the same words over and over ("the", "live", "came"), each looked up once.
    matched: dict[tuple[str, str, str], str | None] = field(default_factory=dict)

    def narrowed(self, label: str, mode: str) -> list[_Text]:
        """The texts `_hit` can accept for `label` in `mode`, in their order in `all`
        (`_match` breaks ties by it). Every mode first accepts a text equal to the
        label; beyond that a prefix begins with its first character, a word within a
        text holds all of its characters, a text inside the message begins with one of
        the message's characters, and a typo is one character longer or shorter at
        most. A sentence typed to a multiple-choice question looked at every text of
        every language some seventy times: 25 ms of CPU."""
        if mode == "prefix":
            positions: Sequence[int] = self.by_first.get(label[0], ())
        elif mode == "inside":
            positions = sorted({i for ch in set(label) for i in self.by_first.get(ch, ())})
        elif mode == "typo":
            positions = sorted(
                i
                for n in (len(label) - 1, len(label), len(label) + 1)
                for i in self.by_length.get(n, ())
            )
        else:  # "word"
            holding = [self.by_char.get(ch, ()) for ch in set(label)]
            positions = min(holding, key=len)
        texts = self.all
        return [texts[i] for i in positions]


def _texts_of(question: Question) -> _ChoiceTexts:
    held = _CHOICE_TEXTS.get(id(question))
    if held is not None and held[0] is question:
        return held[1]
    texts: list[_Text] = []
    for choice in question.choices:
        texts += [(choice.id, _language(tag), _label_key(t)) for tag, t in choice.text.items()]
        texts += [
            (choice.id, _language(tag), _label_key(t))
            for tag, synonyms in choice.synonyms.items()
            for t in synonyms
        ]
        texts += [(choice.id, None, _label_key(alias)) for alias in choice.aliases]
    exact: dict[str, list[_Text]] = {}
    by_first: dict[str, list[int]] = {}
    by_char: dict[str, list[int]] = {}
    by_length: dict[int, list[int]] = {}
    for i, text in enumerate(texts):
        candidate = text[2]
        exact.setdefault(candidate, []).append(text)
        by_length.setdefault(len(candidate), []).append(i)
        if candidate:
            by_first.setdefault(candidate[0], []).append(i)
        for ch in set(candidate):
            by_char.setdefault(ch, []).append(i)
    found = _ChoiceTexts(
        tuple(texts),
        {k: tuple(v) for k, v in exact.items()},
        {k: tuple(v) for k, v in by_first.items()},
        {k: tuple(v) for k, v in by_char.items()},
        {k: tuple(v) for k, v in by_length.items()},
    )
    if len(_CHOICE_TEXTS) >= 4096:  # flows reloaded many times over: start afresh
        _CHOICE_TEXTS.clear()
    # Keyed by identity (a flow's models hold dicts, so they do not hash), the question
    # kept beside its texts so that its id cannot be reused while the entry lives.
    _CHOICE_TEXTS[id(question)] = (question, found)
    return found


_CHOICE_TEXTS: dict[int, tuple[Question, _ChoiceTexts]] = {}
#: Lookups remembered per question before the memory starts afresh.
MATCHES_KEPT = 20_000


def _hit(candidate: str, label: str, mode: str) -> bool:
    if mode == "exact" or candidate == label:
        return candidate == label
    if mode == "prefix":
        return candidate.startswith(label)
    if mode == "inside":  # the customer's message holds a choice's words: "came late"
        return _inside(label, candidate)
    if mode == "typo":
        return len(candidate) >= 5 and _one_edit(candidate, label)
    if not _word_matchable(candidate):
        return False
    if _unspaced(label[0]):
        return label in candidate
    at = candidate.find(label)
    while at > 0 and candidate[at - 1].isalnum():
        at = candidate.find(label, at + 1)
    return at >= 0


def _inside(message: str, candidate: str) -> bool:
    """Whether `candidate` (a choice text or synonym) stands in `message` as whole words
    (anywhere, in scripts without spaces)."""
    if not candidate or len(candidate) < _shortest_inside(candidate[0]):
        return False
    # str.find, not a regex per candidate: the flow's synonyms outnumber re's cache.
    at = message.find(candidate)
    while at >= 0:
        start, end = at, at + len(candidate)
        at = message.find(candidate, end)
        if _unspaced(candidate[0]):
            before = message[max(0, start - 2) : start]
            if not any(before.endswith(n) for n in _NEGATIONS if _unspaced(n[0])):
                return True
            continue
        if start > 1 and message[start - 1] in _AND_PREFIXES:  # "וחסר": and missing
            start -= 1
        if (start and message[start - 1].isalnum()) or message[end : end + 1].isalnum():
            continue
        previous = message[:start].split()[-INSIDE_NEGATION_REACH:]
        if not _NEGATIONS.intersection(previous) or not _word_matchable(candidate):
            return True
    return False


def _shortest_inside(first: str) -> int:
    """How long a choice text must be to be found inside a message: two characters in
    scripts without spaces, three in Hebrew and Arabic (written without vowels: "חסר",
    missing), four elsewhere."""
    if _unspaced(first):
        return 2
    return 3 if "\u0590" <= first <= "\u06ff" else 4


def _one_edit(a: str, b: str) -> bool:
    """Whether `a` and `b` differ by one inserted, deleted, replaced or swapped character."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        first, last = (diff + [0, 0])[:2]
        swapped = last == first + 1 and a[first] == b[last] and a[last] == b[first]
        return len(diff) == 1 or (len(diff) == 2 and swapped)
    short, long = sorted((a, b), key=len)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1 :]


@lru_cache(maxsize=4096)
def _word_matchable(candidate: str) -> bool:
    """Whether a choice text may be matched by a word inside it: not if it holds a
    negation ("No problems"), or a customer's "problems" would pick it."""
    if _NEGATIONS.intersection(re.findall(r"\w+", candidate)):
        return False
    return not any(n in candidate for n in _NEGATIONS if _unspaced(n[0]))


def _lead_word_only(question: Question, word: str) -> bool:
    """Whether `word` is only the first word of longer choice texts and no choice by
    itself: "came" of "came late", "пришло" of "пришло поздно", "ήρθε" of "ήρθε αργά".
    Such a verb or adjective says nothing alone, so a message split into words does not
    pick a choice by it ("пришло сломанное" is damaged, not late and damaged)."""
    texts = _texts_of(question)
    if word in texts.exact:
        return False
    lead = word + " "
    return any(texts.all[i][2].startswith(lead) for i in texts.by_first.get(lead[0], ()))


def _resolve(
    question: Question, part: str, language: str, level: int, *, loose: bool
) -> list[str] | None:
    """Choice ids for `part`, trying the whole, then splitting on commas, "and" words,
    spaces and unspaced "and" words (和, と, และ) in turn; None if any piece fails."""
    part = _trim(part, "P")
    if not part:
        return []
    one = _choose_one(question, part, language, loose)
    if one is None and part[0] in _AND_PREFIXES and len(part) > 1:  # "and" as a prefix
        one = _choose_one(question, part[1:], language, loose)
    if one is not None:
        return [one]
    for index in range(level, len(_SPLITTERS)):
        splitter = _and_splitter(language) if index == _AND_SPLITTER else _SPLITTERS[index]
        pieces = splitter.split(part)
        if len(pieces) < 2:
            continue
        if len(pieces) > MAX_PARTS:
            return None
        found: list[str] = []
        for piece in pieces:
            if index == _WORDS_SPLITTER and _lead_word_only(question, _label_key(piece)):
                break
            got = _resolve(question, piece, language, index + 1, loose=loose)
            if got is None:
                break
            found += got
        else:
            return found
    return None


__all__ = [
    "MAX_CHARS",
    "Parsed",
    "is_delete_request",
    "is_stop",
    "normalize_text",
    "parse_answer",
    "read_number",
]
