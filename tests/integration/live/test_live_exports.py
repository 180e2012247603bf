"""`postlive comments import`: each platform's export shape, as the platforms publish it,
becomes LiveComments with text, author and time (adapters/live/exports.py says which
shapes were checked against what)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from adapters.live.exports import read_export


def write(tmp_path: Path, name: str, content: object) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    elif isinstance(content, list) and name.endswith(".jsonl"):
        path.write_text("\n".join(json.dumps(c) for c in content) + "\n", encoding="utf-8")
    else:
        path.write_text(json.dumps(content), encoding="utf-8")
    return path


def triples(path: Path, platform: str) -> list[tuple[str, str, str, datetime]]:
    found = read_export(path, "S1", platform)
    return [(c.author_id, c.author_name, c.text, c.at) for c in found.comments]


def test_youtube_data_api_live_chat_messages(tmp_path: Path) -> None:
    """liveChatMessages.list as saved from the API (the response, `items`)."""
    response = {
        "kind": "youtube#liveChatMessageListResponse",
        "pollingIntervalMillis": 4813,
        "pageInfo": {"totalResults": 1, "resultsPerPage": 1},
        "items": [
            {
                "kind": "youtube#liveChatMessage",
                "id": "LCC.abc",
                "snippet": {
                    "type": "textMessageEvent",
                    "liveChatId": "Cg0KC",
                    "authorChannelId": "UC2Zw",
                    "publishedAt": "2026-11-30T20:00:30.645000Z",
                    "hasDisplayContent": True,
                    "displayMessage": "quanto custa?",
                    "textMessageDetails": {"messageText": "quanto custa?"},
                },
                "authorDetails": {"channelId": "UC2Zw", "displayName": "Ana B"},
            }
        ],
    }
    found = read_export(write(tmp_path, "chat.json", response), "S1", "youtube")
    (comment,) = found.comments
    assert (comment.author_id, comment.author_name, comment.text) == (
        "UC2Zw",
        "Ana B",
        "quanto custa?",
    )
    assert comment.at == datetime(2026, 11, 30, 20, 0, 30, 645000, tzinfo=UTC)
    assert comment.external_id == "LCC.abc"


def test_youtube_chat_replay_downloaded_by_yt_dlp(tmp_path: Path) -> None:
    """yt-dlp's .live_chat.json: one replay action a line; only text messages count."""

    def line(message_id: str, runs: list[dict[str, object]]) -> dict[str, object]:
        renderer = {
            "message": {"runs": runs},
            "authorName": {"simpleText": "Bo"},
            "authorExternalChannelId": "UCbo",
            "id": message_id,
            "timestampUsec": "1764532801000000",
        }
        return {
            "replayChatItemAction": {
                "actions": [
                    {"addChatItemAction": {"item": {"liveChatTextMessageRenderer": renderer}}}
                ],
                "videoOffsetTimeMsec": "1000",
            }
        }

    paid = {
        "replayChatItemAction": {
            "actions": [{"addChatItemAction": {"item": {"liveChatPaidMessageRenderer": {}}}}]
        }
    }
    emoji = {"emoji": {"emojiId": "😍", "shortcuts": [":heart_eyes:"]}}
    path = write(
        tmp_path,
        "show.live_chat.jsonl",
        [line("m1", [{"text": "ship to Brazil? "}, emoji]), paid],
    )
    found = read_export(path, "S1", "youtube")
    assert triples(path, "youtube") == [
        ("UCbo", "Bo", "ship to Brazil? 😍", datetime(2025, 11, 30, 20, 0, 1, tzinfo=UTC))
    ]
    assert found.comments[0].external_id == "m1"
    assert [n for n, _ in found.skipped] == [2]  # the paid message: no text comment


def test_youtube_chat_downloader_json(tmp_path: Path) -> None:
    """chat-downloader's output: nested author, microsecond timestamps."""
    rows = [
        {
            "message_id": "cd1",
            "message": "envían a México?",
            "timestamp": 1764532800000000,
            "time_in_seconds": 12.0,
            "author": {"name": "Dee", "id": "UCdee"},
        }
    ]
    assert triples(write(tmp_path, "chat.json", rows), "youtube") == [
        ("UCdee", "Dee", "envían a México?", datetime(2025, 11, 30, 20, 0, tzinfo=UTC))
    ]


def test_instagram_graph_api_comments_of_a_live_media(tmp_path: Path) -> None:
    """GET /{ig-media-id}/comments?fields=id,text,timestamp,from,username."""
    response = {
        "data": [
            {
                "timestamp": "2026-11-30T20:00:05+0000",
                "text": "tem no tamanho M?",
                "id": "17873440459141021",
                "from": {"id": "17841400000000001", "username": "carla.m"},
            }
        ],
        "paging": {"cursors": {"after": "QVFI"}},
    }
    found = read_export(write(tmp_path, "ig.json", response), "S1", "instagram")
    (comment,) = found.comments
    assert (comment.author_id, comment.author_name, comment.text) == (
        "17841400000000001",
        "carla.m",
        "tem no tamanho M?",
    )
    assert comment.at == datetime(2026, 11, 30, 20, 0, 5, tzinfo=UTC)
    assert comment.external_id == "17873440459141021"


def test_instagram_data_download_string_map_data(tmp_path: Path) -> None:
    """Meta's "download your information": comments/post_comments_1.json."""
    rows = [
        {
            "media_list_data": [{"uri": ""}],
            "string_map_data": {
                "Comment": {"value": "how much?"},
                "Media Owner": {"value": "luna.live"},
                "Time": {"timestamp": 1764532810},
            },
        }
    ]
    found = read_export(write(tmp_path, "post_comments_1.json", rows), "S1", "instagram")
    (comment,) = found.comments
    assert comment.text == "how much?"
    assert comment.at == datetime(2025, 11, 30, 20, 0, 10, tzinfo=UTC)


def test_tiktok_comment_list_as_third_party_exporters_write_it(tmp_path: Path) -> None:
    """TikTok's web comment list shape (cid, text, create_time, user.unique_id,
    user.nickname): what TikTok comment exporters save; TikTok has no official one."""
    rows = {
        "comments": [
            {
                "cid": "7304809083817774382",
                "text": "berapa kak?",
                "create_time": 1764532820,
                "comment_language": "id",
                "user": {"uid": "6800", "unique_id": "sari_id", "nickname": "Sari"},
            }
        ],
        "cursor": 20,
        "has_more": 0,
    }
    found = read_export(write(tmp_path, "tiktok.json", rows), "S1", "tiktok")
    (comment,) = found.comments
    assert (comment.author_id, comment.author_name, comment.text) == (
        "sari_id",
        "Sari",
        "berapa kak?",
    )
    assert comment.at == datetime(2025, 11, 30, 20, 0, 20, tzinfo=UTC)
    assert comment.external_id == "7304809083817774382"


def test_tiktok_csv_with_the_same_columns(tmp_path: Path) -> None:
    csv_text = (
        "cid,unique_id,nickname,text,create_time\n"
        "1,ana_b,Ana,quanto custa?,1764532801\n"
        "2,bo,Bo,,1764532802\n"
    )
    found = read_export(write(tmp_path, "tiktok.csv", csv_text), "S1", "tiktok")
    assert [(c.author_id, c.author_name, c.text) for c in found.comments] == [
        ("ana_b", "Ana", "quanto custa?")
    ]
    assert found.skipped == [(3, "no comment text")]
