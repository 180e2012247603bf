"""Whether a message asks us to stop messaging, or to erase the customer's data.

Read before any survey question: a missed STOP is stored as feedback and the survey goes
on (and WhatsApp suspends senders whose customers keep asking to stop); an innocent
message read as STOP loses a customer. So a keyword counts as a whole message, with its
courtesy and forms of address ("BERHENTI kak", "tigil na po", "停止してください"), and a
sentence counts by phrases that only an opt-out uses ("stop sending", "ya no me manden",
"别发了"), unless a negation stands just before them ("don't stop sending"), which a
condition turns back ("if you don't stop I'll report you"). The words live in
`bot.lexicon`; erasure is confirmed by the caller before anything is deleted.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from bot import lexicon
from bot.textkeys import fold, phrase_key, simplified
from bot.textkeys import glued as _glued

#: An opt-out sentence or a delete request is a short message, not a phrase in a review.
MAX_SENTENCE_CHARS = 300
#: How many words before a request a negation still turns it around.
NEGATION_REACH = 3

#: Scripts written with spaces whose letters make a word boundary; CJK, kana, Thai and
#: Hangul do not ("唔好再send嘢俾我", "메시지그만보내").
_LETTER = r"a-z0-9\u00c0-\u024f\u0370-\u052f\u0590-\u06ff\u0900-\u097f"


def sentence_key(text: str, *, folded: bool = True) -> str:
    """`text` as opt-out phrases are compared: the whole-message key with Latin accents
    folded (unless not `folded`), simplified Chinese, and every mark that is not a
    letter, digit or emoji glue read as a space ("Don't!! 🙏" -> "don t")."""
    key = phrase_key(text[: MAX_SENTENCE_CHARS * 2])
    key = simplified(fold(key) if folded else key)
    chars = [ch if unicodedata.category(ch)[0] in "LNM" or ch == " " else " " for ch in key]
    return " ".join("".join(chars).split())


#: Hebrew writes "and", "that", "the", "to", "in", "as", "from" as a letter glued to the
#: next word ("שתמחקו": that you delete): a Hebrew phrase may follow up to two of them.
_HEBREW_PREFIXES = "ושהלבכמ"


def _before(first: str) -> str:
    """What may stand before a phrase starting with `first`: nothing in glued scripts, a
    non-letter elsewhere, and in Hebrew also its one-letter prefixes."""
    if _glued(first):
        return ""
    if "\u05d0" <= first <= "\u05ea":
        return rf"(?<![{_LETTER}])[{_HEBREW_PREFIXES}]{{0,2}}"
    return rf"(?<![{_LETTER}])"


def _pattern(phrase: str) -> str:
    """A phrase as a regex: whole words in spaced scripts, anywhere in glued ones."""
    body = re.escape(phrase)
    before = _before(phrase[0])
    after = "" if _glued(phrase[-1]) else rf"(?![{_LETTER}])"
    return before + body + after


def _compile(words: Iterable[str], *, folded: bool = True) -> re.Pattern[str]:
    """One regex for `words`; a word ending in "*" also matches longer words
    ("dejen de mandar*" -> "dejen de mandarme"), one ending in "+" only when messages
    follow (see lexicon.STOP_PHRASES)."""
    keys = sorted(
        {
            (sentence_key(w.rstrip("+"), folded=folded), w.rstrip("+").endswith("*"), w[-1:] == "+")
            for w in words
        }
        - {("", a, b) for a in (False, True) for b in (False, True)},
        key=lambda w: (-len(w[0]), w),
    )
    parts = []
    for key, open_end, about_messages in keys:
        if open_end and not _glued(key[-1]):
            part = rf"{_before(key[0])}{re.escape(key)}[{_LETTER}]*"
        else:
            part = _pattern(key)
        parts.append(part + (_ABOUT_MESSAGES if about_messages else ""))
    return re.compile("|".join(parts))


_MESSAGE_WORDS = "|".join(
    re.escape(sentence_key(w)) + (f"[{_LETTER}]*" if w.endswith("*") else "")
    for w in sorted(lexicon.MESSAGE_WORDS)
)
#: Up to three more words, then a word about messages; or the end of the message.
_ABOUT_MESSAGES = (
    rf"(?=(?:\s+\S+){{0,2}}\s+(?:{_MESSAGE_WORDS})(?![{_LETTER}])|\s*$)"
)
_FILLERS = re.compile(
    f"{_compile(lexicon.FILLER_WORDS).pattern}|"
    f"{_compile(lexicon.FILLER_WORDS, folded=False).pattern}"
)
_SUFFIXES = tuple(
    sorted({sentence_key(w) for w in lexicon.POLITE_SUFFIXES}, key=lambda w: (-len(w), w))
)
#: Keywords compared with accents folded ("arrete" for "arrête"), except where folding
#: makes another word: Vietnamese "dừng" (stop) and "đúng" (right) both fold to "dung".
_WHOLE = frozenset(
    sentence_key(w)
    for w in (*lexicon.STOP_WORDS, *lexicon.MORE_STOP_WORDS)
    if w not in lexicon.ACCENT_SENSITIVE_STOP_WORDS
) - {""}
_WHOLE_EXACT = frozenset(sentence_key(w, folded=False) for w in lexicon.STOP_WORDS) - {""}


def _without_fillers(phrase: str) -> str:
    """A lexicon phrase as it reads once courtesy is dropped, its "*" and "+" kept:
    "wag na kayo mag" -> "wag kayo mag"."""
    body = phrase.rstrip("*+")
    return " ".join(_FILLERS.sub(" ", sentence_key(body)).split()) + phrase[len(body) :]


_PHRASES = {
    language: _compile([*phrases, *map(_without_fillers, phrases)])
    for language, phrases in lexicon.STOP_PHRASES_BY_LANGUAGE.items()
}
_NEGATORS = frozenset(sentence_key(w) for w in lexicon.NEGATORS)
_NEGATORS_ONLY_IN = {sentence_key(w): langs for w, langs in lexicon.NEGATORS_ONLY_IN.items()}
_GLUED_NEGATORS = tuple(n for n in _NEGATORS if _glued(n[0]))
_CONDITIONALS = frozenset(sentence_key(w) for w in lexicon.CONDITIONALS)
_NEGATED_ENDINGS = tuple(sentence_key(w) for w in lexicon.NEGATED_ENDINGS)
_FORGET = _compile(lexicon.FORGET_PHRASES)
_DELETE_VERBS = {lang: _compile(stems) for lang, stems in lexicon.DELETE_VERBS.items()}
_DELETE_OBJECTS = {lang: _compile(objs) for lang, objs in lexicon.DELETE_OBJECTS.items()}
_OLD_DELETE = _compile(lexicon.DELETE_WORDS)
_OFF_LIST = {
    lang: (
        _compile([*lexicon.DELETE_VERBS.get(lang, ()), *lexicon.LIST_REMOVE_VERBS.get(lang, ())]),
        _compile(words),
    )
    for lang, words in lexicon.LIST_WORDS.items()
}
_DATA_OBJECTS = _compile(
    {o for objs in lexicon.DELETE_OBJECTS.values() for o in objs} - lexicon.CONTACT_OBJECTS
)
#: How far a list may stand after its removal verb: "remove my phone number from your list".
LIST_REACH_WORDS = 6


def _without_courtesy(key: str) -> str:
    """The key without fillers, glued polite endings and repeated words:
    "stop stop pls kak" -> "stop", "停止してください" -> "停止"."""
    words = _FILLERS.sub(" ", key).split()
    kept: list[str] = []
    for word in words:
        for _ in range(3):
            for suffix in _SUFFIXES:
                if len(word) > len(suffix) and word.endswith(suffix) and _glued(suffix[0]):
                    word = word[: -len(suffix)]
                    break
            else:
                break
        if not kept or kept[-1] != word:
            kept.append(word)
    text = " ".join(kept)
    for suffix in _SUFFIXES:  # "중지해 주세요": an ending written as a word of its own
        if text.endswith(" " + suffix):
            text = text[: -len(suffix) - 1]
    return text


def _negated(key: str, start: int, end: int = -1, language: str | None = None) -> bool:
    """Whether a negation turns around the request at key[start:end]: one of the few
    words before it (and, for a verb after its object, between them) without a
    condition before the negation. A negation of some languages only ("nu") counts for a
    request of `language` when it is known."""
    end = start if end < 0 else end
    head = key[:start]
    if head.endswith(_GLUED_NEGATORS) or key[start:end].startswith(_GLUED_NEGATORS):
        return True
    words = head.split()[-NEGATION_REACH:] + key[start:end].split()
    for index, word in enumerate(words):
        pair = " ".join(words[index : index + 2])
        if language is not None and language not in _NEGATORS_ONLY_IN.get(word, {language}):
            continue
        if word in _NEGATORS or pair in _NEGATORS:
            earlier = head.split()[: max(0, len(head.split()) - NEGATION_REACH + index)]
            return not _CONDITIONALS.intersection(words[:index] + earlier[-2:])
    return False


@lru_cache(maxsize=4096)
def is_stop(text: str | None) -> bool:
    """Whether the message asks us to stop messaging: a keyword with courtesy and forms
    of address ("STOP", "BERHENTI kak", "停止してください"), or a sentence only an opt-out
    says ("Stop sending me messages", "ya no me manden mensajes"), not negated."""
    if not text:
        return False
    key = sentence_key(text)
    if not key:
        return False
    if key in _WHOLE or _without_courtesy(key) in _WHOLE:
        return True
    exact = sentence_key(text, folded=False)
    if exact in _WHOLE_EXACT or _without_courtesy(exact) in _WHOLE_EXACT:
        return True
    if len(key) > MAX_SENTENCE_CHARS:
        return False
    plain = _without_courtesy(key)
    for candidate in {key, plain}:
        for language, phrases in _PHRASES.items():
            for match in phrases.finditer(candidate):
                if not _negated(candidate, match.start(), language=language):
                    return True
    return _off_list(plain)


def _off_list(key: str) -> bool:
    """Whether `key` asks to be taken off a messaging list: a removal verb, then a list
    within a few words, not negated ("remove my number from your list", "scoateți-mă din
    listă"); a verb after its list ("把我从名单删除") is not read."""
    for language, (verbs, lists) in _OFF_LIST.items():
        for verb in verbs.finditer(key):
            for listed in lists.finditer(key, verb.end()):
                near = len(key[verb.end() : listed.start()].split()) <= LIST_REACH_WORDS
                if near and not _negated(key, verb.start(), language=language):
                    return True
    return False


@lru_cache(maxsize=4096)
def is_delete_request(text: str | None) -> bool:
    """Whether a short message asks us to delete the customer's data ("delete my personal
    data", "apaguem meus dados", "내 정보 삭제해 주세요"), not negated ("please don't
    delete my data"). Callers confirm before deleting."""
    if not text:
        return False
    key = sentence_key(text)
    if not key or len(key) > MAX_SENTENCE_CHARS:
        return False
    plain = " ".join(_FILLERS.sub(" ", key).split())
    if _asks_to_delete(plain):
        return True
    # Courtesy is dropped, but a filler of one language may be a word of the request in
    # another (Indonesian "min", admin; Swedish "min", my): the key as typed is read too,
    # unless it holds a negation that courtesy might push out of reach.
    words = plain.split()
    pairs = {" ".join(words[i : i + 2]) for i in range(len(words))}
    negated = _NEGATORS.intersection(words) or _NEGATORS.intersection(pairs)
    return key != plain and not negated and _asks_to_delete(key)


def _asks_to_delete(key: str) -> bool:
    if any(not _negated(key, m.start()) for m in _FORGET.finditer(key)):
        return True
    if _off_list(key) and not _DATA_OBJECTS.search(key):
        return False  # "remove my number from your list": an opt-out (is_stop), not erasure
    if any(not _negated(key, m.start()) for m in _OLD_DELETE.finditer(key)):
        return _not_negated_after(key)
    for language, verbs in _DELETE_VERBS.items():
        objects = _DELETE_OBJECTS[language]
        for verb in verbs.finditer(key):
            for thing in objects.finditer(key):
                first, last = sorted((verb.start(), thing.start()))
                if (
                    _near(key, verb, thing)
                    and not _negated(key, first, last, language)
                    and _not_negated_after(key[verb.start() :])
                ):
                    return True
    return False


def _near(key: str, a: re.Match[str], b: re.Match[str]) -> bool:
    """Verb and object close enough to be one request: at most three words between
    them, or eight characters in a script without spaces."""
    first, second = sorted((a, b), key=lambda m: m.start())
    gap = key[first.end() : second.start()]
    if first.end() > second.start():
        return False
    if _glued(gap[:1] or key[first.end() - 1]) and len(gap.strip()) <= 8 and " " not in gap.strip():
        return True
    return len(gap.split()) <= 3 and len(gap) <= 30


def _not_negated_after(key: str) -> bool:
    """False when a negation follows the verb, as in Japanese and Korean ("削除しないで")."""
    return not any(ending in key[:24] for ending in _NEGATED_ENDINGS)
