"""The OpenAI analyzer: many answers per request, validated structured outputs, a cache,
a spending cap, and answers kept as data. Also the one place in bot/ that imports the
openai SDK: `openai_client` builds the client for every feature that talks to the model
(the analyzer here, the live radar's question labeller).

Customer answers are untrusted. They travel only inside the user message as a JSON
array (never concatenated into the instructions), and the system prompt says that
anything inside them is data. The SDK retries 429 and 5xx itself, honouring Retry-After
(and retry-after-ms) with backoff; what still fails is reported, never guessed: the
answers are left for the next run, or judged offline when the campaign's token budget
is spent.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import openai
from pydantic import ValidationError

from bot.analysis.batching import completion_allowance, estimate_tokens, plan_batches
from bot.analysis.cache import ResultCache, cache_key
from bot.analysis.interface import (
    Analyzer,
    Category,
    Item,
    Outcome,
    Progress,
    Result,
    Sentiment,
    ThemeRef,
    Urgency,
)
from bot.analysis.language import primary
from bot.analysis.media import Loaded, MediaReader, sees_images
from bot.analysis.offline import OfflineAnalyzer
from bot.analysis.prompts import language_name, load_prompt
from bot.analysis.schema import AnswerJudgement, BatchJudgement, ThemeMapping
from bot.analysis.themes import theme_key
from bot.errors import ConfigError
from bot.settings import Settings

log = logging.getLogger(__name__)

TRANSCRIBE_MODEL = "gpt-4o-mini-transcribe"
#: Tokens a short voice note's transcription costs, roughly, for the budget check.
TRANSCRIBE_ESTIMATE = 300
DEFAULT_TIMEOUT = 60.0
DEFAULT_RETRIES = 3
_VOICE = "voice note transcript"
#: Errors that one smaller request may avoid (too long an output, a refused input).
_SPLITTABLE = (
    openai.LengthFinishReasonError,
    openai.ContentFilterFinishReasonError,
    openai.BadRequestError,
    openai.UnprocessableEntityError,
    ValidationError,
)


#: The SDK's client type, for code that is handed one.
OpenAIClient = openai.OpenAI


def openai_client(
    settings: Settings, *, timeout: float = DEFAULT_TIMEOUT, max_retries: int = DEFAULT_RETRIES
) -> OpenAIClient:
    """The SDK client from the settings: the key, OPENAI_BASE_URL (a proxy, a local
    model, the tests' fake server), how long to wait and how often the SDK retries."""
    if settings.openai_api_key is None:
        raise ConfigError("OPENAI_API_KEY is not set: set it or use POSTLIVE_ANALYZER=offline")
    return openai.OpenAI(
        api_key=settings.openai_api_key.get_secret_value(),
        base_url=settings.openai_base_url or None,
        timeout=timeout,
        max_retries=max_retries,
    )


@dataclass
class _Job:
    index: int
    item: Item
    key: str
    text: str | None
    source: str | None = None
    image: Loaded | None = None
    image_index: int | None = None
    notes: dict[int, dict[str, str]] = field(default_factory=dict)


@dataclass
class _Run:
    outcome: Outcome
    budget: int | None
    capped: bool = False
    #: Answers judged offline because the budget was spent.
    capped_offline: int = 0
    unavailable: str | None = None

    def affords(self, estimate: int) -> bool:
        if self.budget is not None and self.outcome.tokens + estimate > self.budget:
            self.capped = True
        return not self.capped

    def charge(self, usage: Any) -> None:
        if usage is not None:
            self.outcome.prompt_tokens += getattr(usage, "prompt_tokens", 0) or 0
            self.outcome.completion_tokens += getattr(usage, "completion_tokens", 0) or 0


class OpenAIAnalyzer(Analyzer):
    def __init__(
        self,
        settings: Settings,
        *,
        cache: ResultCache | None = None,
        client: openai.OpenAI | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_RETRIES,
        batch_tokens: int | None = None,
    ) -> None:
        self.client = client or openai_client(settings, timeout=timeout, max_retries=max_retries)
        self.model = settings.openai_model
        self.team_language = settings.team_language
        self.prompt = load_prompt("analyze")
        self.system = self.prompt.render(team_language=language_name(self.team_language))
        self.name = f"openai:{self.model}:{self.prompt.tag}"[:64]
        self.batch_tokens = batch_tokens or settings.analysis_batch_tokens
        self.cache = cache
        self.fallback = OfflineAnalyzer(self.team_language)
        self.media = MediaReader(settings.media_dir, settings.media_max_bytes)
        self.sees_images = sees_images(self.model)
        # The strict schema the SDK sends is about the size of pydantic's own.
        schema = json.dumps(BatchJudgement.model_json_schema())
        self._overhead = estimate_tokens(self.system) + estimate_tokens(schema) + 20

    # -- answers ------------------------------------------------------------------------

    def analyze(
        self,
        items: Sequence[Item],
        *,
        token_budget: int | None = None,
        progress: Progress | None = None,
    ) -> Outcome:
        run = _Run(Outcome(results=[None] * len(items)), token_budget)
        jobs: list[_Job] = []
        for index, item in enumerate(items):
            job = self._job(index, item, run)
            if job is not None:
                jobs.append(job)
        cached = self.cache.get_many([j.key for j in jobs]) if self.cache else {}
        waiting = []
        for job in jobs:
            judgement = _cached(cached.get(job.key))
            if judgement is not None:
                run.outcome.results[job.index] = self._result(job, judgement)
            else:
                waiting.append(job)
        self._tell(progress, run)
        texts = [j for j in waiting if j.image is None]
        sizes = [estimate_tokens(json.dumps(_element(1, j), ensure_ascii=False)) for j in texts]
        batches = [
            [texts[i] for i in b] for b in plan_batches(sizes, self._overhead, self.batch_tokens)
        ]
        batches += [[j] for j in waiting if j.image is not None]  # photos go one by one
        for batch in batches:
            estimate = self._overhead + sum(estimate_tokens(j.text or "") for j in batch)
            if run.unavailable or not run.affords(estimate):
                break
            self._send(batch, run)
            self._tell(progress, run)
        self._leftovers([j for j in waiting if run.outcome.results[j.index] is None], run)
        self._tell(progress, run)
        return run.outcome

    def _job(self, index: int, item: Item, run: _Run) -> _Job | None:
        """What the model will read for this item; None when it is judged offline now."""
        text = (item.text or "").strip() or None
        job = _Job(index, item, key="", text=text)
        for media in item.media:
            if media.kind == "audio" and job.source is None:
                transcript = self._transcribe(media, run)
                if transcript is None:
                    continue
                job.notes[media.index] = {"transcript": transcript}
                job.text = f"{text}\n{transcript}" if text else transcript
                job.source = _VOICE
            elif media.kind == "image" and job.image is None and self.sees_images:
                job.image = self.media.image(media)
                job.image_index = media.index if job.image else None
        unseen = [m for m in item.media if m.index not in job.notes and m.index != job.image_index]
        if run.unavailable and any(m.kind == "audio" for m in unseen):
            return None  # a voice note could not be transcribed now: try again later
        if (not job.text and job.image is None) or unseen:
            run.outcome.results[index] = self._offline(item, run)
            if run.capped:  # a voice note not transcribed: the budget was spent
                run.capped_offline += 1
            return None
        image = job.image.digest if job.image else None
        job.key = cache_key(job.text, image, self.prompt.tag, self.model, self.team_language)
        return job

    def _transcribe(self, media: Any, run: _Run) -> str | None:
        loaded = self.media.audio(media)
        if loaded is None or loaded.data is None:
            return None
        key = cache_key("transcribe", loaded.digest, TRANSCRIBE_MODEL)
        cached = self.cache.get_many([key]) if self.cache else {}
        if key in cached:
            return str(cached[key]["text"])
        if run.unavailable or not run.affords(TRANSCRIBE_ESTIMATE):
            return None
        try:
            transcription = self.client.audio.transcriptions.create(
                model=TRANSCRIBE_MODEL,
                file=(loaded.filename or "voice-note", loaded.data, loaded.content_type),
            )
        except openai.APIError as exc:
            run.unavailable = _describe(exc)
            return None
        usage = getattr(transcription, "usage", None)
        if getattr(usage, "type", None) == "tokens":
            run.outcome.prompt_tokens += usage.input_tokens  # type: ignore[union-attr]
            run.outcome.completion_tokens += usage.output_tokens  # type: ignore[union-attr]
        run.outcome.requests += 1
        text = transcription.text.strip()
        if self.cache and text:
            self.cache.put_many({key: {"text": text}})
        return text or None

    def _send(self, batch: list[_Job], run: _Run) -> None:
        elements = [_element(n, job) for n, job in enumerate(batch, 1)]
        data = json.dumps(elements, ensure_ascii=False)
        content: Any = data
        if batch[0].image is not None:
            content = [
                {"type": "text", "text": data},
                {"type": "text", "text": "photo for id 1"},
                {"type": "image_url", "image_url": {"url": batch[0].image.url, "detail": "low"}},
            ]
        try:
            completion = self.client.chat.completions.parse(
                model=self.model,
                messages=[
                    {"role": "system", "content": self.system},
                    {"role": "user", "content": content},
                ],
                response_format=BatchJudgement,
                max_completion_tokens=completion_allowance([j.text or "" for j in batch]),
            )
        except _SPLITTABLE as exc:
            run.charge(getattr(getattr(exc, "completion", None), "usage", None))
            if len(batch) > 1:
                half = len(batch) // 2
                self._send(batch[:half], run)
                if not run.unavailable:
                    self._send(batch[half:], run)
                return
            reason = f"the model could not judge this answer ({type(exc).__name__})"
            run.outcome.results[batch[0].index] = self._offline(batch[0].item, run, reason)
            return
        except openai.APIError as exc:
            run.unavailable = _describe(exc)
            log.warning("OpenAI analysis failed: %s", run.unavailable)
            return
        run.outcome.requests += 1
        run.charge(completion.usage)
        parsed = completion.choices[0].message.parsed
        answers = {a.id: a for a in parsed.answers} if parsed else {}
        fresh: dict[str, dict[str, Any]] = {}
        for n, job in enumerate(batch, 1):
            judgement = answers.get(str(n))
            if judgement is None:
                reason = "the model returned no judgement for this answer"
                run.outcome.results[job.index] = self._offline(job.item, run, reason)
                continue
            fresh[job.key] = judgement.model_dump(exclude={"id"})
            run.outcome.results[job.index] = self._result(job, judgement)
        if self.cache and fresh:
            self.cache.put_many(fresh)

    def _result(self, job: _Job, judgement: AnswerJudgement) -> Result:
        spoken = judgement.language.strip().lower()[:16]
        language = None if spoken in ("", "und", "none", "null") else spoken
        translation = (judgement.translation or "").strip() or None
        if not job.text or primary(language) == primary(self.team_language):
            translation = None  # nothing to translate: the original is in the team's language
        notes = {k: dict(v) for k, v in job.notes.items()}
        if job.image_index is not None and judgement.description:
            notes.setdefault(job.image_index, {})["description"] = judgement.description.strip()
        category = Category(judgement.category)
        return Result(
            language=language,
            translation=translation,
            category=category,
            sentiment=Sentiment(judgement.sentiment_label),
            sentiment_score=round(judgement.sentiment_score, 3),
            themes=tuple(ThemeRef(label=t, category=str(category)) for t in judgement.themes),
            urgency=Urgency(judgement.urgency),
            confidence=round(judgement.confidence, 3),
            analyzer=self.name,
            text_sentiment=Sentiment(judgement.sentiment_label) if job.text else None,
            media_notes=notes,
        )

    def _offline(self, item: Item, run: _Run, doubt: str | None = None) -> Result:
        result = self.fallback.analyze([item]).results[0]
        assert result is not None
        if doubt:
            result.doubts += (doubt,)
        return result

    def _leftovers(self, jobs: list[_Job], run: _Run) -> None:
        if run.capped and jobs:
            items = [j.item for j in jobs]
            for job, result in zip(jobs, self.fallback.analyze(items).results, strict=True):
                run.outcome.results[job.index] = result
            run.capped_offline += len(jobs)
        if run.capped_offline:
            run.outcome.warnings.append(
                f"OpenAI token budget reached: {run.capped_offline} answers analysed offline"
            )
        if run.unavailable and jobs and not run.capped:
            run.outcome.warnings.append(
                f"OpenAI unavailable ({run.unavailable}): {len(jobs)} answers left for the next run"
            )

    @staticmethod
    def _tell(progress: Progress | None, run: _Run) -> None:
        if progress:
            progress(sum(r is not None for r in run.outcome.results))

    # -- themes and replies ------------------------------------------------------------

    def map_themes(
        self,
        phrases: Sequence[str],
        existing: Sequence[tuple[str, str]],
        *,
        token_budget: int | None = None,
    ) -> tuple[dict[str, tuple[str, str]], Outcome]:
        base, outcome = super().map_themes(phrases, existing)
        if not phrases:
            return base, outcome
        prompt = load_prompt("consolidate_themes")
        system = prompt.render(team_language=language_name(self.team_language))
        data = {"existing": [{"key": k, "label": v} for k, v in existing], "new": list(phrases)}
        user = json.dumps(data, ensure_ascii=False)
        run = _Run(outcome, token_budget)
        if not run.affords(estimate_tokens(system) + estimate_tokens(user)):
            outcome.warnings.append("OpenAI token budget reached: themes merged by wording only")
            return base, outcome
        try:
            completion = self.client.chat.completions.parse(
                model=self.model,
                messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
                response_format=ThemeMapping,
            )
        except (openai.OpenAIError, ValidationError) as exc:
            outcome.warnings.append(f"themes merged by wording only: {_describe(exc)}")
            return base, outcome
        outcome.requests += 1
        run.charge(completion.usage)
        labels = dict(existing)
        parsed = completion.choices[0].message.parsed
        for placement in parsed.themes if parsed else ():
            key = theme_key(placement.key) or theme_key(placement.phrase)
            if placement.phrase in base and key:
                base[placement.phrase] = (
                    key,
                    labels.get(key) or placement.label.strip() or placement.phrase,
                )
        return base, outcome

    def close(self) -> None:
        self.client.close()


def _cached(stored: dict[str, Any] | None) -> AnswerJudgement | None:
    """A cached judgement, or None if there is none or it no longer fits the schema."""
    if stored is None:
        return None
    try:
        return AnswerJudgement.model_validate({**stored, "id": "1"})
    except ValidationError:
        return None


def _element(n: int, job: _Job) -> dict[str, Any]:
    """One answer as data in the request: an id of our own, never the answer's text as
    instructions."""
    element: dict[str, Any] = {"id": str(n), "text": job.text}
    if job.source:
        element["source"] = job.source
    if job.image is not None:
        element["photo"] = True
    return element


def _describe(exc: BaseException) -> str:
    status = getattr(exc, "status_code", None)
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return f"the API key was refused ({status})"
    if isinstance(exc, openai.RateLimitError):
        return "rate limited (429) after retries"
    if isinstance(exc, openai.APITimeoutError):
        return "timed out"
    if isinstance(exc, openai.APIConnectionError):
        return "could not connect"
    if status:
        return f"HTTP {status}"
    return type(exc).__name__
