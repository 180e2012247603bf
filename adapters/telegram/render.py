"""An `Outbound` as Bot API calls, within Telegram's limits.

- Text is sent as plain text (no parse_mode): survey texts and coupon codes contain
  `_`, `*` and `[` that Markdown would eat or reject, and nothing we send needs markup.
- A message is at most 4096 characters, which Telegram counts in UTF-16 code units; longer
  text is split at a paragraph, line or word break, never inside a character sequence.
- Choices become an inline keyboard under the last part, one button per row (titles in
  any script stay readable). `callback_data` must be 1-64 bytes of UTF-8: a payload that
  does not fit is shortened to a prefix plus a hash, and the tapped button's title, which
  the engine reads like a typed choice, stands in for it on the way back.
- A multiple-choice question also gets a numbered list, so "1, 3" can be typed: a button
  tap carries one choice only.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.messages import Choice, Outbound

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
#: Inline keyboards above this many buttons are refused by Telegram.
MAX_BUTTONS = 100
#: callback_data of a keyboard already answered: tapping it again only gets an ack.
NOOP = "-"
CHOSEN = "✓ "

_SHORTENED = re.compile(r".*~[0-9a-f]{8}", re.DOTALL)
_GLUE = {"\u200d", "\u2060", "\ufe0e", "\ufe0f"}


@dataclass(frozen=True)
class Part:
    """One Bot API call: a photo, or a text with an optional keyboard."""

    text: str | None = None
    reply_markup: InlineKeyboardMarkup | None = None
    photo_url: str | None = None


def render(message: Outbound) -> list[Part]:
    parts: list[Part] = []
    if message.media_url:
        parts.append(Part(photo_url=message.media_url))
    choices = message.choices[:MAX_BUTTONS]
    text = message.text
    if message.multiple and choices:
        numbered = "\n".join(f"{n}. {c.title}" for n, c in enumerate(choices, 1))
        text = f"{text}\n\n{numbered}"
    pieces = split_text(text) if text.strip() else []
    if not pieces and (choices or not parts):
        pieces = ["…"]  # Telegram refuses empty text, and a keyboard needs a message
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        parts.append(Part(text=piece, reply_markup=keyboard(choices) if last else None))
    return parts


def keyboard(choices: tuple[Choice, ...]) -> InlineKeyboardMarkup | None:
    if not choices:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(c.title.strip() or c.payload, callback_data=callback_data(c))]
            for c in choices
        ]
    )


def answered_keyboard(title: str) -> InlineKeyboardMarkup:
    """The keyboard after a tap: only the chosen answer, marked, and inert."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(CHOSEN + title, callback_data=NOOP)]])


def callback_data(choice: Choice) -> str:
    raw = choice.payload.encode("utf-8")
    if (
        0 < len(raw) <= MAX_CALLBACK_DATA
        and choice.payload != NOOP
        and not is_shortened(choice.payload)
    ):
        return choice.payload
    digest = hashlib.sha256(raw).hexdigest()[:8]
    head = raw[: MAX_CALLBACK_DATA - 9].decode("utf-8", "ignore")  # whole characters only
    return f"{head}~{digest}"


def is_shortened(data: str) -> bool:
    return bool(_SHORTENED.fullmatch(data))


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Pieces of at most `limit` UTF-16 units, broken where a reader would break them."""
    pieces = []
    rest = text
    while utf16_len(rest) > limit:
        cut = _cut(rest, limit)
        piece = rest[:cut].rstrip()
        if piece:
            pieces.append(piece)
        rest = rest[cut:].lstrip()
    if rest.strip():
        pieces.append(rest)
    return pieces


def _cut(text: str, limit: int) -> int:
    fits, units = 0, 0
    for char in text:
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            break
        fits += 1
    window = text[:fits]
    for separator in ("\n\n", "\n", " "):
        at = window.rfind(separator)
        if at > fits // 2:
            return at + len(separator)
    # No break in the second half: a hard cut, but not inside an emoji or accented letter.
    cut = fits
    while cut > 1 and (_joins(text[cut]) or text[cut - 1] == "\u200d"):
        cut -= 1
    return cut


def _joins(char: str) -> bool:
    return (
        unicodedata.combining(char) != 0
        or char in _GLUE
        or "\U0001f3fb" <= char <= "\U0001f3ff"  # skin-tone modifiers
        or unicodedata.category(char) == "Mn"
    )
