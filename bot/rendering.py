"""One rendering layer for outgoing messages: a neutral `Outbound` becomes the parts a
channel can send, given what that channel can do.

In the spirit of Rasa's OutputChannel: the core says *what* to say (text, choices,
media); each adapter declares its `Capabilities` (how long a text may be and how it is
counted, how many buttons and how long their titles, whether there are buttons at all,
where media goes, its markup) and keeps only the SDK call. Splitting, the numbered-list
fallback for choices and empty-text handling are written once, here, so WhatsApp,
Telegram and Slack cannot drift apart.

Splitting counts in the unit the provider counts (UTF-16 code units for Twilio and
Telegram: an emoji outside the BMP is two), breaks at a paragraph, a line or a space in
the second half of a part when there is one, and otherwise cuts between grapheme
clusters: never inside a surrogate pair, before a combining mark, a variation selector
or a skin-tone modifier, or next to a zero-width joiner.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from bot.messages import Choice, Outbound


class Markup(StrEnum):
    """How the channel reads the text we hand it."""

    #: Shown as it is (WhatsApp bodies, Telegram without parse_mode).
    PLAIN = "plain"
    #: Slack mrkdwn: `&`, `<` and `>` are control characters and must be escaped.
    SLACK_MRKDWN = "slack_mrkdwn"


class MediaPlacement(StrEnum):
    #: Media rides on the last text part (Twilio's MediaUrl next to the Body).
    WITH_LAST = "with_last"
    #: Media is a part of its own, before the text (Telegram's sendPhoto).
    SEPARATE_FIRST = "separate_first"


def utf16_units(text: str) -> int:
    """Length as Twilio and Telegram count it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def code_points(text: str) -> int:
    return len(text)


@dataclass(frozen=True)
class Capabilities:
    """What one channel can send; declared by its adapter."""

    #: Longest text of one part, in `measure` units.
    max_text: int
    measure: Callable[[str], int] = utf16_units
    #: Whether choices can be buttons; False: always a numbered list in the text.
    buttons: bool = False
    #: More choices than this become a numbered list (buttons would be refused).
    max_buttons: int = 0
    #: Longer button titles are shortened with an ellipsis.
    max_button_title: int = 0
    #: A multiple-choice question also gets the numbered list: a tap carries one choice.
    number_multiple: bool = True
    media: MediaPlacement = MediaPlacement.WITH_LAST
    #: Text of the one part sent when there is nothing to say but a part is needed (a
    #: keyboard needs a message; Telegram refuses empty text). None: send no text part.
    placeholder: str | None = ""
    markup: Markup = Markup.PLAIN


@dataclass(frozen=True)
class Part:
    """One provider call: a text (maybe with buttons under it) and/or a media URL."""

    text: str | None = None
    buttons: tuple[Choice, ...] = ()
    media_url: str | None = None


def render(message: Outbound, caps: Capabilities) -> list[Part]:
    """`message` as the parts `caps` allows, in the order they must be sent."""
    choices = message.choices
    as_buttons = caps.buttons and 0 < len(choices) <= caps.max_buttons
    text = message.text
    if choices and (not as_buttons or (message.multiple and caps.number_multiple)):
        text = f"{text}\n\n" + "\n".join(choice_lines(choices))
    if caps.markup is not Markup.PLAIN:
        text = escape(text, caps.markup)
    buttons = tuple(button(c, caps) for c in choices) if as_buttons else ()
    pieces = split(text, caps.max_text, caps.measure)
    separate = caps.media is MediaPlacement.SEPARATE_FIRST and message.media_url
    parts: list[Part] = [Part(media_url=message.media_url)] if separate else []
    if not pieces and caps.placeholder is not None and (buttons or not parts):
        pieces = [caps.placeholder]
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        parts.append(
            Part(
                text=piece,
                buttons=buttons if last else (),
                media_url=message.media_url if last and not separate else None,
            )
        )
    return parts


def choice_lines(choices: tuple[Choice, ...]) -> list[str]:
    """Choices as lines: "1. Love it", but a rating's own titles ("5 ⭐⭐⭐⭐⭐") as they
    are, since there the number a customer types is the rating, not the line's position.
    (The engine reads "2", the choice's text or its number word in any language.)"""
    if choices and all(_is_scale(choice) for choice in choices):
        return [choice.title for choice in choices]
    return [f"{index}. {choice.title}" for index, choice in enumerate(choices, start=1)]


def _is_scale(choice: Choice) -> bool:
    value = choice.payload.rpartition(":")[2]
    return value.isdigit() and choice.title.startswith(value)


def button(choice: Choice, caps: Capabilities) -> Choice:
    """The choice as a button: a blank title shows its payload; a long one is shortened."""
    title = choice.title.strip() or choice.payload
    if caps.max_button_title:
        title = clip(title, caps.max_button_title, caps.measure)
    return Choice(choice.payload, title)


def clip(text: str, limit: int, measure: Callable[[str], int] = code_points) -> str:
    """`text` shortened to `limit` units with an ellipsis, cut between graphemes."""
    if measure(text) <= limit:
        return text
    cut = _grapheme_floor(text, _fits(text, limit - 1, measure))
    return text[:cut].rstrip() + "…"


def escape(text: str, markup: Markup) -> str:
    if markup is Markup.SLACK_MRKDWN:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def split(text: str, limit: int, measure: Callable[[str], int] = utf16_units) -> list[str]:
    """Pieces of at most `limit` units, broken where a reader would break them; blank
    text gives no pieces."""
    pieces: list[str] = []
    rest = text
    while measure(rest) > limit:
        cut = _cut(rest, limit, measure)
        piece = rest[:cut].rstrip()
        if piece:
            pieces.append(piece)
        rest = rest[cut:].lstrip()
    if rest.strip():
        pieces.append(rest)
    return pieces


def _fits(text: str, limit: int, measure: Callable[[str], int]) -> int:
    """How many code points of `text` fit in `limit` units (at least one)."""
    if measure is utf16_units:
        used = 0
        for index, char in enumerate(text):
            used += 2 if ord(char) > 0xFFFF else 1
            if used > limit:
                return max(index, 1)
        return len(text)
    low, high = 0, len(text)
    while low < high:  # any monotonic measure: binary search
        mid = (low + high + 1) // 2
        if measure(text[:mid]) <= limit:
            low = mid
        else:
            high = mid - 1
    return max(low, 1)


def _cut(text: str, limit: int, measure: Callable[[str], int]) -> int:
    fits = _fits(text, limit, measure)
    window = text[:fits]
    for separator in ("\n\n", "\n", " "):
        at = window.rfind(separator)
        if at >= fits // 2 and at > 0:  # a break in the second half of the part: use it
            return at + len(separator)
    return _grapheme_floor(text, fits)


def _grapheme_floor(text: str, cut: int) -> int:
    """`cut` moved back to the start of the grapheme cluster it would split (never to 0:
    a cluster longer than a part is cut all the same rather than never sent)."""
    while 1 < cut < len(text) and (_joins(text[cut]) or text[cut - 1] == "\u200d"):
        cut -= 1
    if 1 < cut < len(text) and _regional_pair_split(text, cut):
        cut -= 1
    return cut


_GLUE = frozenset({"\u200d", "\u2060", "\ufe0e", "\ufe0f", "\u20e3"})


def _joins(char: str) -> bool:
    """Whether `char` belongs to the character before it."""
    return (
        char in _GLUE
        or "\U0001f3fb" <= char <= "\U0001f3ff"  # skin-tone modifiers
        or "\U000e0020" <= char <= "\U000e007f"  # tag sequences (subdivision flags)
        or "\udc00" <= char <= "\udfff"  # a lone low surrogate: its high half precedes
        or unicodedata.combining(char) != 0
        or unicodedata.category(char) in ("Mn", "Me", "Mc")
    )


def _regional_pair_split(text: str, cut: int) -> bool:
    """True when `cut` falls between the two regional indicators of one flag."""

    def regional(char: str) -> bool:
        return "\U0001f1e6" <= char <= "\U0001f1ff"

    if not (regional(text[cut - 1]) and regional(text[cut])):
        return False
    run = 0
    index = cut - 1
    while index >= 0 and regional(text[index]):
        run += 1
        index -= 1
    return run % 2 == 1
