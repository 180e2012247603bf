"""An `Outbound` as Bot API calls, within Telegram's limits.

Splitting, the numbered list and the empty-text placeholder are bot.rendering's; this
module declares Telegram's `CAPABILITIES` and turns the neutral parts into PTB objects.

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
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import rendering
from bot.messages import Choice, Outbound
from bot.rendering import Capabilities, MediaPlacement

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
#: Inline keyboards above this many buttons are refused by Telegram: more choices than
#: this become a numbered list instead.
MAX_BUTTONS = 100
#: callback_data of a keyboard already answered: tapping it again only gets an ack.
NOOP = "-"
CHOSEN = "✓ "
CAPABILITIES = Capabilities(
    max_text=MAX_TEXT,
    buttons=True,
    max_buttons=MAX_BUTTONS,
    number_multiple=True,
    media=MediaPlacement.SEPARATE_FIRST,
    placeholder="…",  # Telegram refuses empty text, and a keyboard needs a message
)

_SHORTENED = re.compile(r".*~[0-9a-f]{8}", re.DOTALL)


@dataclass(frozen=True)
class Part:
    """One Bot API call: a photo, or a text with an optional keyboard."""

    text: str | None = None
    reply_markup: InlineKeyboardMarkup | None = None
    photo_url: str | None = None


def render(message: Outbound) -> list[Part]:
    """The neutral parts (bot.rendering) as Bot API calls: buttons become the keyboard."""
    return [
        Part(photo_url=part.media_url)
        if part.text is None
        else Part(text=part.text, reply_markup=keyboard(part.buttons))
        for part in rendering.render(message, CAPABILITIES)
    ]


def keyboard(choices: tuple[Choice, ...]) -> InlineKeyboardMarkup | None:
    if not choices:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(c.title, callback_data=callback_data(c))] for c in choices]
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
    return rendering.utf16_units(text)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Pieces of at most `limit` UTF-16 units, broken where a reader would break them."""
    return rendering.split(text, limit)
