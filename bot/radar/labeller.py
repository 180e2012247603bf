"""One canonical question per board entry, in the team's language, by OpenAI.

Batched: every few seconds the session hands the top entries still without one; a single
request turns them all into questions (prompts/radar_canonical.md). Comments travel only
as JSON data in the user message. Offline (no key), entries keep the lexicon's label.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from pydantic import BaseModel

from bot.analysis.openai_analyzer import OpenAIClient, openai_client
from bot.analysis.prompts import language_name, load_prompt
from bot.radar.session import Labeller
from bot.settings import Settings

TIMEOUT_SECONDS = 10.0
RETRIES = 1


class _Question(BaseModel):
    id: str
    question: str


class _Questions(BaseModel):
    questions: list[_Question]


class OpenAILabeller(Labeller):
    interval_seconds = 4.0

    def __init__(self, settings: Settings, client: OpenAIClient | None = None) -> None:
        # The analysis' client factory: one way to reach the model in bot/.
        self.client = client or openai_client(
            settings, timeout=TIMEOUT_SECONDS, max_retries=RETRIES
        )
        self.model = settings.openai_model
        self.prompt = load_prompt("radar_canonical")
        self.system = self.prompt.render(team_language=language_name(settings.team_language))

    def label(self, batch: Sequence[tuple[str, tuple[str, ...]]]) -> dict[str, str]:
        data = json.dumps(
            [{"id": key, "comments": list(originals)} for key, originals in batch],
            ensure_ascii=False,
        )
        completion = self.client.chat.completions.parse(
            model=self.model,
            messages=[
                {"role": "system", "content": self.system},
                {"role": "user", "content": data},
            ],
            response_format=_Questions,
            max_completion_tokens=60 * len(batch) + 50,
        )
        parsed = completion.choices[0].message.parsed
        known = {key for key, _ in batch}
        if parsed is None:
            return {}
        return {
            q.id: q.question.strip()[:200]
            for q in parsed.questions
            if q.id in known and q.question.strip()
        }


def labeller_for(settings: Settings) -> Labeller | None:
    """The model's labeller when a key is set and analysis may use it; else none."""
    key = settings.openai_api_key
    if settings.postlive_analyzer == "offline" or not (key and key.get_secret_value().strip()):
        return None
    return OpenAILabeller(settings)
