"""Block Kit building blocks, and Slack's limits enforced before anything is sent.

Slack rejects a whole message (`invalid_blocks`) when one text is a character too long,
so every message we build goes through `fit()`: texts are shortened with an ellipsis,
long field lists become several sections, and a message over 50 blocks becomes several
messages. Nothing is ever rejected for being big; it is split or summarized.
"""

from __future__ import annotations

from typing import Any

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_MODAL_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_BUTTON_TEXT = 75
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTION_ELEMENTS = 25
MAX_BUTTON_VALUE = 2000
MAX_OPTION_TEXT = 75
MAX_OPTIONS = 100
MAX_MODAL_TITLE = 24
#: Top-level `text` of chat.postMessage: Slack truncates beyond this; we do it ourselves.
MAX_MESSAGE_TEXT = 4000


def clip(text: str, limit: int) -> str:
    """`text` shortened to `limit` characters, an ellipsis showing that it was."""
    text = text if text.strip() else "-"  # Slack refuses empty texts
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def plain(text: str, limit: int = MAX_SECTION_TEXT) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def mrkdwn(text: str, limit: int = MAX_SECTION_TEXT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, limit)}


def escape(text: str) -> str:
    """Customer text shown verbatim: Slack's three control characters escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quote(text: str, *, italic: bool = False) -> str:
    """Customer text as a block quote: escaped, and every line quoted, so a newline in
    what a customer wrote cannot end the quote and make the next lines look like the
    team's own ("✅ acknowledged by ...")."""
    lines = escape(text).splitlines() or [""]
    return "\n".join(f"> _{line}_" if italic and line.strip() else f"> {line}" for line in lines)


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, MAX_HEADER_TEXT)}


def section(text: str, accessory: dict[str, Any] | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if accessory:
        block["accessory"] = accessory
    return block


def fields(items: list[str]) -> list[Block]:
    """Sections of at most ten fields each."""
    return [
        {
            "type": "section",
            "fields": [mrkdwn(t, MAX_FIELD_TEXT) for t in items[i : i + MAX_FIELDS]],
        }
        for i in range(0, len(items), MAX_FIELDS)
    ]


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(t) for t in texts[:MAX_CONTEXT_ELEMENTS]]}


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str = "", style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(text, MAX_BUTTON_TEXT),
        "action_id": action_id,
    }
    if value:
        if len(value) > MAX_BUTTON_VALUE:
            raise ValueError(f"button value over {MAX_BUTTON_VALUE} characters")
        element["value"] = value
    if style:
        element["style"] = style
    return element


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text, MAX_OPTION_TEXT), "value": value[:150]}


def static_select(
    placeholder: str, action_id: str, options: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "type": "static_select",
        "placeholder": plain(placeholder, 150),
        "action_id": action_id,
        "options": options[:MAX_OPTIONS],
    }


def actions(*elements: dict[str, Any], block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements[:MAX_ACTION_ELEMENTS])}
    if block_id:
        block["block_id"] = block_id[:255]
    return block


def paragraphs(lines: list[str], limit: int = MAX_SECTION_TEXT) -> list[Block]:
    """Lines packed into as few sections as the 3,000-character limit allows."""
    blocks: list[Block] = []
    current = ""
    for line in lines:
        line = clip(line, limit)
        if current and len(current) + 1 + len(line) > limit:
            blocks.append(section(current))
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        blocks.append(section(current))
    return blocks


def fit(blocks: list[Block], continued: str = "(continued)") -> list[list[Block]]:
    """Split `blocks` into messages of at most 50 blocks, after re-checking every limit.

    A split never leaves a message that opens with a divider, and every continuation
    message starts with a context line saying it is one.
    """
    clean = [_within_limits(b) for b in blocks]
    messages: list[list[Block]] = []
    current: list[Block] = []
    for block in clean:
        if len(current) >= MAX_BLOCKS:
            messages.append(current)
            current = [context(continued)]
        if block["type"] == "divider" and len(current) <= 1 and messages:
            continue
        current.append(block)
    if current:
        messages.append(current)
    return messages


def _within_limits(block: Block) -> Block:
    """A copy of `block` with every text cut to its limit (builders already do; this is the
    last line of defence for text that came from elsewhere)."""
    block = dict(block)
    kind = block.get("type")
    if kind == "header":
        block["text"] = plain(block["text"]["text"], MAX_HEADER_TEXT)
    elif kind == "section":
        if "text" in block:
            block["text"] = {**block["text"], "text": clip(block["text"]["text"], MAX_SECTION_TEXT)}
        if "fields" in block:
            block["fields"] = [
                {**f, "text": clip(f["text"], MAX_FIELD_TEXT)} for f in block["fields"][:MAX_FIELDS]
            ]
        if "accessory" in block:
            block["accessory"] = _element(block["accessory"])
    elif kind == "context":
        block["elements"] = [
            {**e, "text": clip(e["text"], MAX_SECTION_TEXT)} if "text" in e else e
            for e in block["elements"][:MAX_CONTEXT_ELEMENTS]
        ]
    elif kind == "actions":
        block["elements"] = [_element(e) for e in block["elements"][:MAX_ACTION_ELEMENTS]]
    return block


def _element(element: dict[str, Any]) -> dict[str, Any]:
    element = dict(element)
    if element.get("type") == "button":
        element["text"] = plain(element["text"]["text"], MAX_BUTTON_TEXT)
    if "options" in element:
        element["options"] = [
            {**o, "text": plain(o["text"]["text"], MAX_OPTION_TEXT)}
            for o in element["options"][:MAX_OPTIONS]
        ]
    return element


def fallback_text(blocks: list[Block]) -> str:
    """The notification text Slack shows where blocks cannot be (push, screen readers)."""
    for block in blocks:
        if block.get("type") in ("header", "section") and "text" in block:
            return clip(block["text"]["text"], MAX_MESSAGE_TEXT)
    return "postlive"
