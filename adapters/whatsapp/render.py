"""An `Outbound` as WhatsApp text through Twilio: choices as a numbered list, long text
split under Twilio's 1,600-character body limit, template variables by position.

Free-form WhatsApp messages have no buttons unless a quick-reply Content template is
registered for them; a numbered list works everywhere, and the engine reads "2", the
choice's text or its number word in any language.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.messages import Choice, Outbound

#: Twilio refuses a Body longer than 1,600 characters (error 21617).
MAX_BODY = 1600


def choice_lines(choices: tuple[Choice, ...]) -> list[str]:
    """Choices as lines: "1. Love it", but a rating's own titles ("5 ⭐⭐⭐⭐⭐") as they
    are, since there the number a customer types is the rating, not the line's position."""
    if all(_is_scale(choice) for choice in choices):
        return [choice.title for choice in choices]
    return [f"{index}. {choice.title}" for index, choice in enumerate(choices, start=1)]


def _is_scale(choice: Choice) -> bool:
    value = choice.payload.rpartition(":")[2]
    return value.isdigit() and choice.title.startswith(value)


def body_of(message: Outbound) -> str:
    if not message.choices:
        return message.text
    return f"{message.text}\n\n" + "\n".join(choice_lines(message.choices))


def _units(text: str) -> int:
    """Length as Twilio counts it: UTF-16 code units (an emoji outside the BMP is two)."""
    return len(text.encode("utf-16-le")) // 2


def split_body(text: str, limit: int = MAX_BODY) -> list[str]:
    """Parts of at most `limit` units, cut at a paragraph, a line or a space when one is
    near, never inside a character."""
    parts: list[str] = []
    rest = text
    while _units(rest) > limit:
        cut = _longest_prefix(rest, limit)
        head = rest[:cut]
        for separator in ("\n\n", "\n", " "):
            at = head.rfind(separator)
            if at >= cut // 2:  # a break in the second half of the part: use it
                cut = at + len(separator)
                break
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not parts:
        parts.append(rest)
    return parts


def _longest_prefix(text: str, limit: int) -> int:
    """How many characters of `text` fit in `limit` UTF-16 units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return max(index, 1)
    return len(text)


def content_variables(variables: Mapping[str, str]) -> dict[str, str]:
    """Template variables as the Content template numbers them: the engine names them
    ("show"), approved WhatsApp templates use {{1}}, {{2}} in the order the engine gives
    them. Numeric keys are kept as they are."""
    numbered: dict[str, str] = {}
    position = 1
    for name, value in variables.items():
        if name.isdigit():
            numbered[name] = str(value)
            continue
        while str(position) in variables or str(position) in numbered:
            position += 1
        numbered[str(position)] = str(value)
        position += 1
    return numbered
