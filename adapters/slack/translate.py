"""The OpenAI implementation of `bot.translation.Translator` (alert replies, loop messages).

`OpenAITranslator` is the implementation used when OPENAI_API_KEY
is set. Without a key there is no translator at all (`translator_for` returns None) and
callers send the team's text unchanged and say so: a fake translation is never made up.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from babel import Locale, UnknownLocaleError

from bot.resources import prompts_dir
from bot.settings import Settings
from bot.translation import TranslationError, Translator

PROMPT = "translate_reply.md"


@dataclass(frozen=True)
class Prompt:
    version: str
    text: str


@cache
def load_prompt(path: Path | None = None) -> Prompt:
    """The prompt file: YAML front matter (`version`) then the system instructions."""
    path = path or prompts_dir() / PROMPT
    raw = path.read_text(encoding="utf-8")
    version = "0"
    body = raw
    if raw.startswith("---"):
        _, front, body = raw.split("---", 2)
        meta = yaml.safe_load(front) or {}
        version = str(meta.get("version", "0"))
    return Prompt(version, body.strip())


def language_name(tag: str) -> str:
    try:
        return Locale.parse(tag.replace("-", "_")).get_display_name("en") or tag
    except (ValueError, UnknownLocaleError):
        return tag


class OpenAITranslator:
    """Chat completions through the openai SDK (OPENAI_BASE_URL redirects it)."""

    def __init__(self, api_key: str, model: str, base_url: str | None = None) -> None:
        from openai import AsyncOpenAI

        self.client = AsyncOpenAI(api_key=api_key, base_url=base_url, max_retries=2, timeout=30)
        self.model = model

    async def translate(self, text: str, target_locale: str) -> str:
        import openai

        prompt = load_prompt()
        system = prompt.text.replace("{target_locale}", target_locale).replace(
            "{target_language}", language_name(target_locale)
        )
        if "{target_locale}" not in prompt.text:
            # A prompt written without the placeholder still has to name the language.
            system += f"\n\nTarget locale: {target_locale} ({language_name(target_locale)})"
        try:
            completion = await self.client.chat.completions.create(
                model=self.model,
                temperature=0,
                messages=[
                    {"role": "system", "content": system},
                    {"role": "user", "content": text},
                ],
            )
        except openai.OpenAIError as exc:
            raise TranslationError(target_locale, f"{type(exc).__name__}: {exc}") from exc
        content = completion.choices[0].message.content if completion.choices else None
        if not content or not content.strip():
            raise TranslationError(target_locale, "empty answer from the model")
        return content.strip()


def translator_for(settings: Settings) -> Translator | None:
    if settings.openai_api_key is None:
        return None
    return OpenAITranslator(
        settings.openai_api_key.get_secret_value(), settings.openai_model, settings.openai_base_url
    )
