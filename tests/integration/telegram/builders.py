"""Builders for what Telegram sends us: Updates as JSON, as the Bot API documents them."""

from __future__ import annotations

import itertools
from typing import Any

from starlette.testclient import TestClient

SECRET = "s3cret-webhook_token"
_update_ids = itertools.count(500_000_001)


def post_update(client: TestClient, update: dict[str, Any], secret: str | None = SECRET) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return client.post("/webhooks/telegram", json=update, headers=headers).status_code


def user(chat_id: str, language: str = "id") -> dict[str, Any]:
    return {
        "id": int(chat_id),
        "is_bot": False,
        "first_name": "Dewi",
        "last_name": "Lestari",
        "language_code": language,
    }


def message_update(
    chat_id: str, text: str | None = None, *, language: str = "id", **content: Any
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": next(_update_ids) % 100_000,
        "date": 1_795_000_000,
        "chat": {"id": int(chat_id), "type": "private", "first_name": "Dewi"},
        "from": user(chat_id, language),
        **content,
    }
    if text is not None:
        message["text"] = text
    return {"update_id": next(_update_ids), "message": message}


def tap_update(
    chat_id: str, message: dict[str, Any], data: str, language: str = "id"
) -> dict[str, Any]:
    """The customer taps the button `data` under `message` (a Message the bot sent)."""
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": f"cb{next(_update_ids)}",
            "from": user(chat_id, language),
            "chat_instance": "-8000000000000000001",
            "message": message,
            "data": data,
        },
    }


def member_update(chat_id: str, status: str) -> dict[str, Any]:
    old = "member" if status == "kicked" else "kicked"
    return {
        "update_id": next(_update_ids),
        "my_chat_member": {
            "chat": {"id": int(chat_id), "type": "private", "first_name": "Dewi"},
            "from": user(chat_id),
            "date": 1_795_000_000,
            "old_chat_member": chat_member(chat_id, old),
            "new_chat_member": chat_member(chat_id, status),
        },
    }


def chat_member(chat_id: str, status: str) -> dict[str, Any]:
    member: dict[str, Any] = {"user": user(chat_id), "status": status}
    if status == "kicked":
        member["until_date"] = 0  # a private chat's block has no end date
    return member


def photo_sizes() -> list[dict[str, Any]]:
    return [
        {"file_id": "AgAC-small", "file_unique_id": "s", "width": 90, "height": 67},
        {"file_id": "AgAC-large", "file_unique_id": "l", "width": 1280, "height": 960},
        {"file_id": "AgAC-medium", "file_unique_id": "m", "width": 320, "height": 240},
    ]
