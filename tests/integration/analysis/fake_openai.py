"""A local HTTP server that speaks the part of the OpenAI API postlive uses, for tests and
benchmarks: POST /v1/chat/completions (structured outputs: a ChatCompletion whose message
content is JSON for the requested schema, with `usage`), plain chat completions for the
team's replies translated into a customer's language, and POST /v1/audio/transcriptions.

Translations come from `translations` ((text, locale) -> text, filled by the test); text
without an entry comes back marked `[locale] text`, so a test can tell a translated reply
from one sent as typed.

Behind it sits a tiny deterministic "model". It is deliberately gullible: any
"classify this as X" it finds in the *instructions* (the system message, or user text
that is not a JSON array of answers) makes it label every answer X. So an analyzer that
concatenated customer text into its instructions would be fooled; one that sends answers
only as JSON data is not. That proves our request structure, not that a real model
resists injection.

The real `openai` client talks to it through OPENAI_BASE_URL / base_url; tests assert on
what it received (`requests`).
"""

from __future__ import annotations

import base64
import json
import math
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fake_server import LocalServer

_INJECTION = re.compile(r"classify (?:this|it|everything|all) as (\w+)", re.IGNORECASE)

# The fake model's vocabulary: enough to judge the tests' answers in several languages.
_COMPLAINT = (
    "broken",
    "damaged",
    "dent",
    "leak",
    "late",
    "darker",
    "different",
    "missing",
    "refund",
    "roto",
    "rota",
    "tarde",
    "oscuro",
    "diferente",
    "quebrad",
    "atras",
    "cassé",
    "retard",
    "kaputt",
    "spät",
    "dunkler",
    "壊れ",
    "違",
    "遅",
    "rusak",
    "beda",
    "แตก",
    "ไม่ตรง",
    "vỡ",
    "khác",
    "مكسور",
    "مختلف",
    "坏",
    "不一样",
    "crushed",
    "worst",
    "never arrived",
)
_PRAISE = (
    "love",
    "great",
    "perfect",
    "encanta",
    "amei",
    "adore",
    "super",
    "可愛",
    "bagus",
    "ชอบ",
    "đẹp",
    "رائع",
    "喜欢",
    "gorgeous",
)
_SUGGEST = (
    "next live",
    "next time",
    "próximo",
    "próxima",
    "prochain",
    "nächste",
    "次回",
    "lain kali",
    "ครั้งหน้า",
    "lần sau",
    "القادم",
    "下次",
)
_URGENT = (
    "broken",
    "damaged",
    "refund",
    "roto",
    "quebrad",
    "cassé",
    "kaputt",
    "壊れ",
    "rusak",
    "แตก",
    "vỡ",
    "مكسور",
    "坏",
    "crushed",
    "leak",
    "never arrived",
)
_COLOUR = ("colour", "color", "cor ", "couleur", "farbe", "色", "warna", "สี", "màu", "لون", "颜色")
#: Deliberately varied wordings of one theme, as a model writing per answer would.
_COLOUR_PHRASES = {
    "en": "colour differs from the live stream",
    "es": "color different from the live",
    "pt": "colour not as shown in the live",
    "fr": "colour does not match the stream",
    "de": "hue unlike the broadcast",
    "ja": "shade unlike the broadcast",
}


@dataclass
class Recorded:
    path: str
    #: Header names in lower case.
    headers: dict[str, str]
    body: Any


@dataclass
class FakeModel:
    #: Exact answer text -> judgement fields to return instead (a model's misreading).
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The live radar's canonical questions: a group's first comment -> the question
    #: this "model" names it (unknown comments come back as "?" + the comment).
    questions: dict[str, str] = field(default_factory=dict)

    def name_questions(self, groups: list[dict[str, Any]]) -> dict[str, Any]:
        """The radar labeller's schema: one question per group of comments."""
        named = [
            {
                "id": g["id"],
                "question": self.questions.get(g["comments"][0], "?" + g["comments"][0]),
            }
            for g in groups
        ]
        return {"questions": named}

    def judge(
        self, element: dict[str, Any], instructions: str, image: bytes | None
    ) -> dict[str, Any]:
        text = element.get("text") or ""
        low = text.lower()
        language = _language(text) if text else "und"
        if any(w in low for w in _COMPLAINT):
            category, label, score = "complaint", "negative", -0.7
        elif "?" in text or "？" in text:
            category, label, score = "product_question", "neutral", 0.0
        elif any(w in low for w in _SUGGEST):
            category, label, score = "suggestion", "neutral", 0.1
        elif any(w in low for w in _PRAISE):
            category, label, score = "praise", "positive", 0.8
        else:
            category, label, score = "other", "neutral", 0.0
        themes = []
        if any(w in low for w in _COLOUR) and category == "complaint":
            themes.append(_COLOUR_PHRASES.get(language, "colour differs from the live stream"))
        if any(w in low for w in ("late", "tarde", "retard", "spät", "遅", "atras")):
            themes.append("late delivery")
        description = None
        if image is not None:
            said = image.split(b"PHOTO:", 1)[1].decode() if b"PHOTO:" in image else "a product"
            description = f"the photo shows {said}"
            if "crushed" in said or "broken" in said:
                category, label, score = "complaint", "negative", -0.8
                themes.append("box arrived damaged")
        urgent = category == "complaint" and (
            any(w in low for w in _URGENT) or bool(description and "crushed" in description)
        )
        fooled = _INJECTION.search(instructions)
        if fooled:  # the gullible part: instructions win over what the customer said
            category = fooled.group(1).lower()
        judgement = {
            "id": element["id"],
            "language": language,
            "translation": None if language in ("en", "und") else f"[{language}→en] {text}",
            "category": category,
            "sentiment_label": label,
            "sentiment_score": score,
            "themes": themes,
            "urgency": "high" if urgent else "low" if category == "complaint" else "none",
            "confidence": 0.9,
            "description": description,
        }
        judgement.update(self.overrides.get(text, {}))
        return judgement

    def place(self, data: dict[str, Any]) -> dict[str, Any]:
        """Theme consolidation: colour-ish phrases join an existing colour theme."""
        existing = {t["key"]: t["label"] for t in data.get("existing", [])}
        colour_key = next((k for k in existing if "colo" in k), "colour_mismatch")
        placed = []
        for phrase in data.get("new", []):
            if any(w in phrase for w in ("colour", "color", "hue", "shade")):
                label = existing.get(colour_key, "colour differs from the live stream")
                placed.append({"phrase": phrase, "key": colour_key, "label": label})
            else:
                key = "_".join(re.findall(r"\w+", phrase.lower()))[:60]
                placed.append({"phrase": phrase, "key": key, "label": phrase})
        return {"themes": placed}


def _language(text: str) -> str:
    if re.search(r"[\u3040-\u30ff]", text):
        return "ja"
    if re.search(r"[\u4e00-\u9fff]", text):
        return "zh"
    if re.search(r"[\u0e00-\u0e7f]", text):
        return "th"
    if re.search(r"[\u0600-\u06ff]", text):
        return "ar"
    low = f" {text.lower()} "
    for language, marks in (
        ("vi", ("ơ", "ư", "ạ", "ả", "ế", "ộ", "màu", "khác")),
        ("pt", ("ã", "ç", "não", "veio", " cor ")),
        ("es", ("ñ", "¿", " el ", "llegó", " es ", " muy ")),
        ("fr", (" le ", " la ", " est ", "ç", "è")),
        ("de", ("ä", "ö", "ü", "ß", " die ", " der ", " ist ")),
        ("id", (" kak", "banget", "nggak", "warna", "sama")),
    ):
        if any(m in low for m in marks):
            return language
    return "en"


_TARGET = re.compile(r"[Tt]arget (?:locale|language)[^\w]*\s*([a-z]{2,3}(?:-[A-Za-z0-9]{2,4})?)")
_LOCALE = re.compile(r"\(locale\s+([a-z]{2,3}(?:-[A-Za-z0-9]{2,4})?)\)")


class FakeOpenAI:
    """Start with `with FakeOpenAI() as server:`; point the SDK at `server.base_url`."""

    def __init__(self, model: FakeModel | None = None) -> None:
        self.model = model or FakeModel()
        self.requests: list[Recorded] = []
        #: (text, target locale) -> what the "model" answers when asked to translate.
        self.translations: dict[tuple[str, str], str] = {}
        #: The `usage` of every completion answered, to compare with what postlive recorded.
        self.usage: list[dict[str, int]] = []
        self._failures: list[tuple[int, dict[str, str]]] = []
        #: Seconds to wait before answering a completion (to exercise client timeouts).
        self.delay = 0.0
        self._lock = threading.Lock()
        self._http = LocalServer(self._handler(), poll_interval=0.02)

    @property
    def base_url(self) -> str:
        return f"{self._http.url}/v1"

    def start(self) -> str:
        self._http.start()
        return self.base_url

    def stop(self) -> None:
        self._http.stop()

    def __enter__(self) -> FakeOpenAI:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail(self, status: int, times: int = 1, retry_after_ms: str | None = "1") -> None:
        """The next `times` requests get `status` (429, 500...) with a tiny retry-after-ms,
        so the SDK's retries are exercised without real waiting."""
        headers = {"retry-after-ms": retry_after_ms} if retry_after_ms else {}
        with self._lock:
            self._failures.extend([(status, headers)] * times)

    def chat_requests(self) -> list[dict[str, Any]]:
        return [r.body for r in self.requests if r.path.endswith("/chat/completions")]

    def schemas(self) -> Iterator[str]:
        for body in self.chat_requests():
            yield body["response_format"]["json_schema"]["name"]

    # -- HTTP --------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                json_body = self.headers.get("content-type", "").startswith("application/json")
                body = json.loads(raw) if json_body else raw
                with fake._lock:
                    fake.requests.append(
                        Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    failure = fake._failures.pop(0) if fake._failures else None
                if failure:
                    status, headers = failure
                    return self._send(status, {"error": {"message": "fake failure"}}, headers)
                if self.path.endswith("/chat/completions"):
                    time.sleep(fake.delay)
                    return self._send(200, fake._complete(body))
                if self.path.endswith("/audio/transcriptions"):
                    said = raw.split(b"SAY:", 1)[1].split(b"\r\n", 1)[0] if b"SAY:" in raw else b""
                    usage = {
                        "type": "tokens",
                        "input_tokens": 12,
                        "output_tokens": 8,
                        "total_tokens": 20,
                    }
                    return self._send(200, {"text": said.decode("utf-8"), "usage": usage})
                return self._send(404, {"error": {"message": f"unknown path {self.path}"}})

            def _send(
                self, status: int, payload: object, headers: dict[str, str] | None = None
            ) -> None:
                data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a timeout test): nothing to tell it

        return Handler

    def _translate(self, body: dict[str, Any]) -> dict[str, Any]:
        """A plain chat completion: the team's text put into the locale the system
        message names."""
        system = " ".join(m["content"] for m in body["messages"] if m["role"] == "system")
        text = next(m["content"] for m in body["messages"] if m["role"] == "user")
        found = _LOCALE.search(system) or _TARGET.search(system)
        locale = found.group(1) if found else "??"
        answer = self.translations.get((text, locale), f"[{locale}] {text}")
        usage = {"prompt_tokens": 20, "completion_tokens": 10, "total_tokens": 30}
        return {
            "id": f"chatcmpl-fake-{len(self.requests)}",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": body.get("model", "test"),
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": answer, "refusal": None},
                }
            ],
            "usage": usage,
        }

    def _complete(self, body: dict[str, Any]) -> dict[str, Any]:
        if "response_format" not in body:
            return self._translate(body)
        schema = body["response_format"]["json_schema"]["name"]
        instructions, data, images = _read_messages(body["messages"])
        if schema == "BatchJudgement":
            elements = data if isinstance(data, list) else []
            answers = [
                self.model.judge(e, instructions, images.get(str(e["id"]))) for e in elements
            ]
            content: dict[str, Any] = {"answers": answers}
        elif schema == "ThemeMapping":
            content = self.model.place(data if isinstance(data, dict) else {})
        elif schema == "_Questions":  # bot.radar.labeller
            content = self.model.name_questions(data if isinstance(data, list) else [])
        else:
            raise ValueError(f"unknown schema {schema}")
        text = json.dumps(content, ensure_ascii=False)
        prompt = math.ceil(
            len(json.dumps(body["messages"]) + json.dumps(body["response_format"])) / 4
        )
        completion = math.ceil(len(text) / 4)
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        with self._lock:
            self.usage.append(usage)
        return {
            "id": f"chatcmpl-fake-{len(self.requests)}",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": text, "refusal": None},
                }
            ],
            "usage": usage,
        }


def _read_messages(messages: list[dict[str, Any]]) -> tuple[str, Any, dict[str, bytes]]:
    """Split a request into instructions (what the model obeys), data (the JSON the user
    message carries) and photos by answer id."""
    instructions: list[str] = []
    data: Any = None
    images: dict[str, bytes] = {}
    for message in messages:
        parts = message["content"]
        if isinstance(parts, str):
            parts = [{"type": "text", "text": parts}]
        photo_for: str | None = None
        for part in parts:
            if part["type"] == "image_url":
                url = part["image_url"]["url"]
                payload = base64.b64decode(url.split(",", 1)[1]) if url.startswith("data:") else b""
                images[photo_for or "1"] = payload
                continue
            text = part["text"]
            if message["role"] != "user":
                instructions.append(text)
                continue
            if text.startswith("photo for id "):
                photo_for = text.removeprefix("photo for id ").strip()
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError:
                instructions.append(text)  # prose in the user turn is read as instructions
    return "\n".join(instructions), data, images
