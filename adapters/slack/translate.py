"""Putting the team's words into the customer's language (alert replies, loop messages).

`Translator` is the port; `OpenAITranslator` the implementation used when OPENAI_API_KEY
is set. Without a key there is no translator at all (`translator_for` returns None) and
callers send the team's text unchanged and say so: a fake translation is never made up.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

import yaml
from babel import Locale, UnknownLocaleError

from bot.errors import PostliveError
from bot.resources import prompts_dir
from bot.settings import Settings

PROMPT = "translate_reply.md"
UNTRANSLATED_NOTE = "sent untranslated: no OpenAI key"


class Translator(Protocol):
    async def translate(self, text: str, target_locale: str) -> str:
        """`text` in the language of `target_locale` (BCP 47, e.g. "pt-BR")."""
        ...


class TranslationError(PostliveError):
    def __init__(self, target_locale: str, reason: str) -> None:
        self.target_locale, self.reason = target_locale, reason
        super().__init__(f"could not translate into {target_locale}: {reason}")


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


def same_language(a: str | None, b: str | None) -> bool:
    return bool(a and b) and a.split("-")[0].lower() == b.split("-")[0].lower()  # type: ignore[union-attr]


async def localize(
    translator: Translator | None,
    locales: set[str],
    texts: tuple[str, str],
    team_language: str,
) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """`texts` (e.g. a theme and what was done) per locale, and notes for the team.

    Without a translator, or when one locale fails, the team's words go out unchanged
    and a note says so; they are never dropped or invented.
    """
    if translator is None:
        foreign = sorted(loc for loc in locales if not same_language(loc, team_language))
        return {}, [f"{UNTRANSLATED_NOTE} ({', '.join(foreign)})"] if foreign else []
    done: dict[str, tuple[str, str]] = {}
    notes: list[str] = []
    for locale in sorted(locales):
        if same_language(locale, team_language):
            continue
        try:
            first = await translator.translate(texts[0], locale)
            second = await translator.translate(texts[1], locale)
        except TranslationError as exc:
            notes.append(f"sent untranslated to {locale}: {exc.reason}")
            continue
        done[locale] = (first, second)
    return done, notes
