"""Comments from platform exports, read by their column names.

Formats checked against the platforms' published shapes (see tests/integration/live/
test_live_exports.py, one test each):

- YouTube: the Data API's liveChatMessages (`snippet.displayMessage`, `publishedAt`,
  `authorChannelId`, `authorDetails.displayName`), saved as a response or one message a
  line; yt-dlp's `.live_chat.json` (chat replay: `replayChatItemAction` ...
  `liveChatTextMessageRenderer` with `message.runs`, `authorName.simpleText`,
  `authorExternalChannelId`, `timestampUsec`); chat-downloader's JSON (`message`,
  `author.name`, `author.id`, `timestamp` in microseconds).
- Instagram: the Graph API's comments of a (live) media (`{"data": [{"id", "text",
  "timestamp", "from": {"id", "username"}}]}`), and the Meta data download's
  `string_map_data` (`Comment`, `Time`; that download holds the account's OWN comments).
- TikTok: no official LIVE comment export exists; the web comment list shape (`cid`,
  `text`, `create_time`, `user.unique_id`, `user.nickname`) that third-party exporters
  write, and CSVs with those column names.

Columns are matched by name, whatever their case, spacing, underscores or camelCase
(`authorChannelId` is "author channel id"); a nested object's fields are read with and
without its name (`user.nickname` is "user nickname" and "nickname"):

    text     comment, comment text, text, message, content, comments, display message,
             message text, comment content
    author   unique id, user id, author channel id, author external channel id, channel
             id, author id, from id, username, user; name: nickname, display name, author
             name, author, username
    time     time, timestamp, comment time, created time, create time, created at, date,
             published at, time usec, timestamp usec
    id       comment id, message id, id, cid

A row without text is skipped and reported; nothing else is refused.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.errors import PostliveError
from bot.radar.comment import LiveComment

_TEXT = (
    "comment",
    "comment text",
    "text",
    "message",
    "content",
    "comments",
    "display message",
    "message text",
    "comment content",
)
_AUTHOR_ID = (
    "unique id",
    "user id",
    "author channel id",
    "author external channel id",
    "channel id",
    "author id",
    "from id",
    "username",
    "user",
)
_AUTHOR_NAME = ("nickname", "display name", "author name", "author", "username", "name", "user")
_TIME = (
    "time",
    "timestamp",
    "comment time",
    "created time",
    "create time",
    "created at",
    "date",
    "published at",
    "publishedat",
    "time usec",
    "timestamp usec",
)
_ID = ("comment id", "message id", "message_id", "id", "cid")


class ExportError(PostliveError):
    pass


@dataclass
class Imported:
    comments: list[LiveComment] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _key(name: str) -> str:
    """ "Author_Channel Id", "authorChannelId", "author channel id" are one name."""
    return " ".join(_CAMEL.sub(" ", name).replace("_", " ").strip().lower().split())


def _pick(row: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        value = row.get(_key(name))
        if value not in (None, ""):
            return value
    return None


def _flatten(raw: dict[str, Any]) -> dict[str, Any]:
    """Nested exports become flat names: author.name -> "author name" (and "name" when
    the row has none of its own), Meta's string_map_data {"Comment": {"value": ...}} ->
    "comment", a yt-dlp chat replay line -> its text message's fields."""
    renderer = _chat_message(raw)
    if renderer is not None:
        raw = renderer
    flat: dict[str, Any] = {}
    nested: dict[str, Any] = {}
    for name, value in raw.items():
        if name == "string_map_data" and isinstance(value, dict):
            for inner, cell in value.items():
                if isinstance(cell, dict):
                    flat[_key(inner)] = cell.get("value", cell.get("timestamp"))
        elif isinstance(value, dict):
            if isinstance(value.get("runs"), list) or "simpleText" in value:
                flat[_key(name)] = _runs(value)  # YouTube's text objects
                continue
            for inner, cell in value.items():
                if not isinstance(cell, dict | list):
                    flat.setdefault(_key(f"{name} {inner}"), cell)
                    if _key(inner) != "id":  # a nested id is the author's, not the row's
                        nested.setdefault(_key(inner), cell)
        else:
            flat[_key(name)] = value
    for name, value in nested.items():
        flat.setdefault(name, value)
    if "author id" in flat and "author channel id" not in flat:
        flat["author channel id"] = flat["author id"]
    return flat


def _chat_message(raw: dict[str, Any]) -> dict[str, Any] | None:
    """The text message inside one line of yt-dlp's live chat replay, if it is one
    (other lines are paid messages, memberships, banners: not text comments)."""
    if "replayChatItemAction" not in raw and "addChatItemAction" not in raw:
        return None
    actions = raw.get("replayChatItemAction", {}).get("actions") or [raw]
    for action in actions:
        item = (action.get("addChatItemAction") or {}).get("item") or {}
        message = item.get("liveChatTextMessageRenderer")
        if isinstance(message, dict):
            return message
    return {}


def _runs(value: dict[str, Any]) -> str:
    """YouTube's text: {"simpleText": ...} or {"runs": [{"text"}, {"emoji": ...}]}."""
    if "simpleText" in value:
        return str(value["simpleText"])
    parts = []
    for run in value.get("runs", []):
        if "text" in run:
            parts.append(str(run["text"]))
        elif isinstance(run.get("emoji"), dict):
            emoji = run["emoji"]
            shortcuts = emoji.get("shortcuts") or [""]
            parts.append(
                str(emoji.get("emojiId") if not emoji.get("isCustomEmoji") else "")
                or str(shortcuts[0])
            )
    return "".join(parts)


def _time(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, int | float) or str(value).strip().lstrip("-").isdigit():
        number = float(value)
        if number > 1e14:  # microseconds (YouTube's time_usec)
            number /= 1e6
        elif number > 1e11:  # milliseconds
            number /= 1e3
        return datetime.fromtimestamp(number, UTC)
    text = str(value).strip().replace("Z", "+00:00")
    for parse in (datetime.fromisoformat, lambda t: datetime.strptime(t, "%Y-%m-%d %H:%M:%S")):
        try:
            found = parse(text)
        except ValueError:
            continue
        return found if found.tzinfo else found.replace(tzinfo=UTC)
    return None


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExportError(f"{path}: not UTF-8 text") from exc
    stripped = raw.lstrip()
    if stripped.startswith("[") or path.suffix.lower() == ".json":
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ExportError(f"{path}: not JSON ({exc})") from exc
        if isinstance(data, dict):  # {"comments_media_comments": [...]} and the like
            data = next((v for v in data.values() if isinstance(v, list)), [])
        for number, item in enumerate(data, 1):
            if isinstance(item, dict):
                yield number, _flatten(item)
    elif stripped.startswith("{"):
        for number, line in enumerate(raw.splitlines(), 1):
            if line.strip():
                try:
                    item = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ExportError(f"{path}: line {number}: not JSON ({exc})") from exc
                if isinstance(item, dict):
                    yield number, _flatten(item)
    else:
        reader = csv.DictReader(raw.splitlines())
        for number, row in enumerate(reader, 2):
            yield number, {_key(k): v for k, v in row.items() if k}


def read_export(path: Path, show: str, platform: str) -> Imported:
    found = Imported()
    for number, row in _rows(path):
        text = _pick(row, _TEXT)
        if not isinstance(text, str) or not text.strip():
            found.skipped.append((number, "no comment text"))
            continue
        author_id = _pick(row, _AUTHOR_ID)
        author_name = _pick(row, _AUTHOR_NAME) or author_id or ""
        at = _time(_pick(row, _TIME))
        found.comments.append(
            LiveComment(
                platform=platform,
                show=show,
                author_id=str(author_id or author_name or f"row{number}")[:128],
                author_name=str(author_name)[:200],
                text=text.strip(),
                at=at or datetime(1970, 1, 1, tzinfo=UTC),
                external_id=str(_pick(row, _ID))[:128] if _pick(row, _ID) else None,
            )
        )
    return found
