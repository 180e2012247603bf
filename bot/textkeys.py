"""Keys that messages and lexicon words are compared by, so that keyboards, scripts and
apps that write the same word differently ("ＳＴＯＰ", "Stop!", "stop\u200f") meet.

Shared by the answer reader (`bot.answers`) and the opt-out detector (`bot.optout`).
"""

from __future__ import annotations

import unicodedata

from bot import lexicon

#: How much of a message the matchers read; nobody types a rating in 2,000 characters.
MAX_CHARS = 2_000


_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
#: Code points that only glue emoji together or choose their look: variation selectors,
#: zero-width joiner, keycap, skin tones.
_GLUE = dict.fromkeys([0xFE0E, 0xFE0F, 0x200D, 0x20E3, *range(0x1F3FB, 0x1F400)])
#: Spellings keyboards vary: Arabic hamza on alef, ta marbuta, alef maqsura, tatweel and
#: harakat; Turkish dotless i (casefold turns "IPTAL" into "iptal", never "ıptal"); the
#: Greek stress mark, which Greek customers mostly leave out ("πέντε" is typed "πεντε");
#: Romanian s and t with a comma below, which many keyboards still write with a cedilla
#: ("șase" and "şase" are one word; Turkish "beş" keeps its cedilla).
VARIANTS = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ـ": None, "ı": "i"}
    | dict(zip("άέήίόύώΐΰ", "αεηιουωϊϋ", strict=True))
    | {"ș": "ş", "ț": "ţ"}
    | dict.fromkeys([*range(0x064B, 0x0660), 0x0670])
)


def normalize_text(text: str) -> str:
    """NFKC, casefold, trim and collapse whitespace, drop invisible format characters
    (bidi marks, BOM; the emoji joiner stays) and surrounding punctuation:
    "  ¡Cinco!  " -> "cinco". Reads at most MAX_CHARS characters."""
    kept = []
    for ch in (text or "")[:MAX_CHARS]:
        category = unicodedata.category(ch)
        if category == "Cc":
            kept.append(" ")
        elif category != "Cf" or ch == "\u200d":
            kept.append(ch)
    folded = unicodedata.normalize("NFKC", "".join(kept))
    folded = unicodedata.normalize("NFKC", folded.casefold())
    folded = folded.replace("i\u0307", "i").translate(_APOSTROPHES)  # Turkish "İ"
    return trim(" ".join(folded.split()), "P")


def trim(text: str, categories: str) -> str:
    """Strip whitespace and characters of the given Unicode major categories at both ends."""

    def edge(ch: str) -> bool:
        return ch.isspace() or unicodedata.category(ch)[0] in categories

    start, end = 0, len(text)
    while start < end and edge(text[start]):
        start += 1
    while end > start and edge(text[end - 1]):
        end -= 1
    return text[start:end]


def plain(text: str) -> str:
    """Drop emoji glue and write every decimal digit (٣ ۴ ๓ ३ ３) in ASCII."""
    text = text.replace("\u200d♀", "").replace("\u200d♂", "").replace("🔟", "10")
    text = text.translate(_GLUE)
    return (
        text
        if text.isascii()
        else "".join(
            str(unicodedata.decimal(ch)) if unicodedata.category(ch) == "Nd" else ch for ch in text
        )
    )


def word_key(text: str) -> str:
    """The form lexicon words are looked up by (accents kept: see bot.lexicon)."""
    return plain(normalize_text(text)).translate(VARIANTS)


def phrase_key(text: str) -> str:
    """A whole-message key: also drops emoji around the words ("STOP 🙏" -> "stop");
    a message of punctuation only ("-", "...") keeps it."""
    core = trim(normalize_text(text), "PS")
    if not core:
        raw = unicodedata.normalize("NFKC", (text or "")[:MAX_CHARS])
        core = " ".join(raw.casefold().split())
    return plain(core).translate(VARIANTS)


def fold(key: str) -> str:
    """A key with Latin accents dropped too, for choice labels and delete phrases."""
    out: list[str] = []
    base = ""
    for ch in unicodedata.normalize("NFD", key.replace("đ", "d")):
        latin = base < "\u0250" or "\u1e00" <= base < "\u1f00"
        if base and latin and unicodedata.category(ch) == "Mn":
            continue
        out.append(ch)
        base = ch
    return unicodedata.normalize("NFC", "".join(out))


def unspaced(ch: str) -> bool:
    """Whether `ch` belongs to a script written without spaces (CJK, kana, Thai...)."""
    return "\u0e00" <= ch <= "\u109f" or "\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


_SIMPLIFIED = str.maketrans(dict(lexicon.TRADITIONAL_TO_SIMPLIFIED))


def simplified(text: str) -> str:
    """Traditional Chinese characters the lexicon and flows use, in simplified form."""
    return text.translate(_SIMPLIFIED)


def glued(ch: str) -> bool:
    """Whether `ch` may be glued to the next word without a space: scripts without spaces,
    and Hangul, whose endings and particles attach to the word ("중지해요", "5점이요")."""
    return unspaced(ch) or "\uac00" <= ch <= "\ud7af" or "\u1100" <= ch <= "\u11ff"
