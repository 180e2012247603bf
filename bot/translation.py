"""Putting the team's words into a customer's language: the port and the policy.

`Translator` is the port (the OpenAI implementation lives in an adapter and is chosen by
the composition root). Without a translator the team's text goes out unchanged and the
team is told so: a fake translation is never made up.
"""

from __future__ import annotations

from typing import Protocol

from bot.errors import PostliveError

UNTRANSLATED_NOTE = "sent untranslated: no OpenAI key"


class Translator(Protocol):
    async def translate(self, text: str, target_locale: str) -> str:
        """`text` in the language of `target_locale` (BCP 47, e.g. "pt-BR")."""
        ...


class TranslationError(PostliveError):
    def __init__(self, target_locale: str, reason: str) -> None:
        self.target_locale, self.reason = target_locale, reason
        super().__init__(f"could not translate into {target_locale}: {reason}")


def same_language(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return a.split("-")[0].lower() == b.split("-")[0].lower()


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
