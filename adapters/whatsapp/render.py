"""An `Outbound` as WhatsApp text through Twilio: choices as a numbered list, long text
split under Twilio's 1,600-character body limit, template variables by position.

Free-form WhatsApp messages have no buttons unless a quick-reply Content template is
registered for them; a numbered list works everywhere, and the engine reads "2", the
choice's text or its number word in any language. Splitting and the list itself are
bot.rendering's; this module declares WhatsApp's `CAPABILITIES`.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot import rendering
from bot.messages import Choice, Outbound
from bot.rendering import Capabilities, Part

#: Twilio refuses a Body longer than 1,600 characters (error 21617), counted in UTF-16
#: code units. Free-form WhatsApp has no buttons: choices are always a numbered list.
MAX_BODY = 1600
CAPABILITIES = Capabilities(max_text=MAX_BODY, buttons=False)


def render(message: Outbound) -> list[Part]:
    """The free-form messages (Body, and MediaUrl on the last) for `message`."""
    return rendering.render(message, CAPABILITIES)


def choice_lines(choices: tuple[Choice, ...]) -> list[str]:
    return rendering.choice_lines(choices)


def body_of(message: Outbound) -> str:
    if not message.choices:
        return message.text
    return f"{message.text}\n\n" + "\n".join(choice_lines(message.choices))


def split_body(text: str, limit: int = MAX_BODY) -> list[str]:
    """Parts of at most `limit` UTF-16 units (bot.rendering.split); a body is never
    absent, so blank text is one part as it is."""
    return rendering.split(text, limit) or [text]


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
