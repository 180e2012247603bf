"""A Telegram Update (JSON) read into what postlive cares about.

Plain dict parsing rather than `telegram.Update.de_json`: we read a dozen fields, and
de_json trusts its input (it is built for data that came from Telegram), so a malformed
body fails deep inside it with AttributeError or TypeError. Here every field we use is
checked, a bad body is one `MalformedUpdate` (the webhook answers 400), and parsing needs
no Bot and no network. Polling feeds the same function (`Update.to_dict()`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from adapters.telegram.render import NOOP, is_shortened
from bot.messages import Channel, Inbound, Media


class MalformedUpdate(ValueError):
    """The body is not a Telegram Update we can read; the message says which field."""


@dataclass(frozen=True)
class MessageUpdate:
    update_id: int
    inbound: Inbound


@dataclass(frozen=True)
class CallbackUpdate:
    """A tapped inline button. `inbound` is None for a tap on an already answered keyboard."""

    update_id: int
    callback_id: str
    inbound: Inbound | None
    chat_id: int | None
    message_id: int | None
    #: The title of the tapped button, read from the message's keyboard when it is there.
    title: str | None


@dataclass(frozen=True)
class MembershipUpdate:
    """The customer blocked the bot ("kicked") or came back ("member")."""

    update_id: int
    address: str
    status: str
    language_hint: str | None


@dataclass(frozen=True)
class IgnoredUpdate:
    update_id: int
    reason: str


ParsedUpdate = MessageUpdate | CallbackUpdate | MembershipUpdate | IgnoredUpdate

#: Message fields that carry a file, with the content type to assume when none is given.
#: `photo` is a list of sizes; the others are one object.
_MEDIA_FIELDS = (
    ("photo", "image/jpeg"),
    ("voice", "audio/ogg"),
    ("audio", "audio/mpeg"),
    ("video", "video/mp4"),
    ("video_note", "video/mp4"),
    ("document", "application/octet-stream"),
)


def parse_update(data: Any) -> ParsedUpdate:
    if not isinstance(data, dict):
        raise MalformedUpdate("an Update must be a JSON object")
    update_id = _int(data, "update_id", "update")
    if update_id < 0:
        raise MalformedUpdate("update.update_id must not be negative")
    if "message" in data:
        return _message(update_id, _dict(data, "message", "update"))
    if "callback_query" in data:
        return _callback(update_id, _dict(data, "callback_query", "update"))
    if "my_chat_member" in data:
        return _membership(update_id, _dict(data, "my_chat_member", "update"))
    return IgnoredUpdate(update_id, "not an update type postlive handles")


def _message(update_id: int, message: dict[str, Any]) -> ParsedUpdate:
    chat = _dict(message, "chat", "message")
    chat_id = _int(chat, "id", "message.chat")
    if chat.get("type") != "private":
        return IgnoredUpdate(update_id, "not a private chat")
    sender = _optional_dict(message, "from", "message")
    text = _optional_str(message, "text", "message")
    if text is None:
        text = _optional_str(message, "caption", "message")
    inbound = Inbound(
        channel=Channel.TELEGRAM,
        address=str(chat_id),
        external_id=str(update_id),
        text=_clean(text),
        media=_media(message),
        language_hint=_optional_str(sender, "language_code", "message.from"),
        profile_name=_name(sender),
        received_at=_date(message),
        extras={"message_id": message.get("message_id")},
    )
    return MessageUpdate(update_id, inbound)


def _callback(update_id: int, query: dict[str, Any]) -> ParsedUpdate:
    callback_id = _str(query, "id", "callback_query")
    sender = _dict(query, "from", "callback_query")
    message = _optional_dict(query, "message", "callback_query")
    chat = _optional_dict(message, "chat", "callback_query.message")
    if chat and chat.get("type", "private") != "private":
        return IgnoredUpdate(update_id, "not a private chat")
    # A button under a message in the customer's private chat: the chat id is the user id.
    chat_id = _int(chat, "id", "callback_query.message.chat") if chat else None
    address = str(chat_id if chat_id is not None else _int(sender, "id", "callback_query.from"))
    message_id = message.get("message_id") if message else None
    data = _optional_str(query, "data", "callback_query") or ""
    title = _button_title(message, data)
    if data == NOOP:
        return CallbackUpdate(update_id, callback_id, None, chat_id, None, None)
    shortened = is_shortened(data) and title is not None
    inbound = Inbound(
        channel=Channel.TELEGRAM,
        address=address,
        external_id=str(update_id),
        # A payload too long for Telegram went out shortened; its button title (a choice
        # text the engine reads in any locale) stands in for it.
        text=title if shortened else None,
        choice=None if shortened or not data else data,
        language_hint=_optional_str(sender, "language_code", "callback_query.from"),
        profile_name=_name(sender),
        received_at=_date(message) if message else None,
        extras={"message_id": message_id, "callback": True},
    )
    return CallbackUpdate(
        update_id,
        callback_id,
        inbound,
        chat_id,
        message_id if isinstance(message_id, int) else None,
        title,
    )


def _membership(update_id: int, change: dict[str, Any]) -> ParsedUpdate:
    chat = _dict(change, "chat", "my_chat_member")
    if chat.get("type") != "private":
        return IgnoredUpdate(update_id, "not a private chat")
    member = _dict(change, "new_chat_member", "my_chat_member")
    sender = _optional_dict(change, "from", "my_chat_member")
    return MembershipUpdate(
        update_id,
        str(_int(chat, "id", "my_chat_member.chat")),
        _str(member, "status", "my_chat_member.new_chat_member"),
        _optional_str(sender, "language_code", "my_chat_member.from"),
    )


def _media(message: dict[str, Any]) -> tuple[Media, ...]:
    found = []
    for name, default_type in _MEDIA_FIELDS:
        if name not in message:
            continue
        value = message[name]
        if name == "photo":
            sizes = [s for s in value if isinstance(s, dict)] if isinstance(value, list) else []
            if not sizes:
                raise MalformedUpdate("message.photo must be a list of PhotoSize")
            # Telegram lists sizes smallest first; pick by area in case that ever changes.
            value = max(sizes, key=lambda s: _area(s))
        if not isinstance(value, dict):
            raise MalformedUpdate(f"message.{name} must be an object")
        file_id = _str(value, "file_id", f"message.{name}")
        mime = value.get("mime_type")
        content_type = mime if isinstance(mime, str) and "/" in mime else default_type
        # A file id, not the download URL: that URL contains the bot token.
        found.append(Media(f"tg-file:{file_id}", content_type))
    return tuple(found)


def _area(size: dict[str, Any]) -> int:
    width, height = size.get("width"), size.get("height")
    return width * height if isinstance(width, int) and isinstance(height, int) else 0


def _button_title(message: dict[str, Any] | None, data: str) -> str | None:
    markup = message.get("reply_markup") if message else None
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    for row in rows if isinstance(rows, list) else ():
        for button in row if isinstance(row, list) else ():
            if isinstance(button, dict) and button.get("callback_data") == data:
                text = button.get("text")
                return text if isinstance(text, str) else None
    return None


def _name(sender: dict[str, Any] | None) -> str | None:
    if not sender:
        return None
    parts = [sender.get("first_name"), sender.get("last_name")]
    name = " ".join(p for p in parts if isinstance(p, str) and p.strip())
    return _clean(name) or None


def _date(message: dict[str, Any]) -> datetime | None:
    value = message.get("date")
    # An inaccessible (too old) message comes with date 0.
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None


def _clean(text: str | None) -> str | None:
    # NUL cannot be stored in a PostgreSQL text column; Telegram never sends one anyway.
    return text.replace("\x00", "") if text is not None else None


# -- checked field access ---------------------------------------------------------------


def _dict(parent: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = parent.get(key)
    if not isinstance(value, dict):
        raise MalformedUpdate(f"{where}.{key} must be an object")
    return value


def _optional_dict(parent: dict[str, Any] | None, key: str, where: str) -> dict[str, Any] | None:
    if not parent or parent.get(key) is None:
        return None
    return _dict(parent, key, where)


def _int(parent: dict[str, Any], key: str, where: str) -> int:
    value = parent.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedUpdate(f"{where}.{key} must be an integer")
    return value


def _str(parent: dict[str, Any], key: str, where: str) -> str:
    value = parent.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedUpdate(f"{where}.{key} must be a non-empty string")
    return value


def _optional_str(parent: dict[str, Any] | None, key: str, where: str) -> str | None:
    if not parent or parent.get(key) is None:
        return None
    value = parent[key]
    if not isinstance(value, str):
        raise MalformedUpdate(f"{where}.{key} must be a string")
    return value
