"""Survey flows: YAML files validated into typed models.

A flow is data the team edits, so every error must point at the file, the line and the
field, and a flow that would break a conversation (six questions, a skip rule naming an
unknown question, a locale with a missing string) must fail at load time, not mid-survey.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from babel import Locale, UnknownLocaleError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.errors import FlowError, FlowProblem
from bot.locales import negotiate

MAX_QUESTIONS = 5
#: Strings a flow must carry in its default locale (others fall back to it).
REQUIRED_TEXTS = ("intro", "reminder", "thank_you", "coupon", "no_coupon", "loop")

LocalizedText = dict[str, str]


class QuestionType(StrEnum):
    RATING = "rating"  # 1-5
    NPS = "nps"  # 0-10
    SINGLE = "single"
    MULTI = "multi"
    TEXT = "text"
    PHOTO = "photo"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChoiceDef(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,32}$")]
    text: LocalizedText
    #: Emoji or words that also select this choice, in any language.
    aliases: tuple[str, ...] = ()
    #: Other ways customers say this choice, per locale ("came late", "物流太慢").
    synonyms: dict[str, tuple[str, ...]] = {}
    #: The "nothing applies" choice: a bare "no" picks it, and with another pick it is
    #: a contradiction to ask about again.
    exclusive: bool = False


class AskIf(Strict):
    """Ask the question only when an earlier answer matches (a skip rule)."""

    question: str
    any_of: tuple[str, ...] = ()
    at_most: int | None = None
    at_least: int | None = None

    @model_validator(mode="after")
    def _one_condition(self) -> AskIf:
        if not self.any_of and self.at_most is None and self.at_least is None:
            raise ValueError("ask_if needs any_of, at_most or at_least")
        return self

    def holds(self, value: str | None) -> bool:
        if value is None:
            return False
        if self.any_of:
            return bool(set(value.split(",")) & set(self.any_of))
        try:
            number = int(value)
        except ValueError:
            return False
        if self.at_most is not None and number > self.at_most:
            return False
        return not (self.at_least is not None and number < self.at_least)


class Question(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,32}$")]
    type: QuestionType
    text: LocalizedText
    choices: tuple[ChoiceDef, ...] = ()
    optional: bool = False
    ask_if: AskIf | None = None

    @model_validator(mode="after")
    def _choices_match_type(self) -> Question:
        has_choices = self.type in (QuestionType.SINGLE, QuestionType.MULTI)
        if has_choices and not (2 <= len(self.choices) <= 10):
            raise ValueError(f"a {self.type} question needs 2 to 10 choices")
        if not has_choices and self.choices:
            raise ValueError(f"a {self.type} question takes no choices")
        ids = [c.id for c in self.choices]
        if len(ids) != len(set(ids)):
            raise ValueError("choice ids must be unique")
        return self


class Window(Strict):
    """A daily local send window, e.g. 19:00-21:00."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> Window:
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
        if not match:
            raise ValueError(f"window must look like 19:00-21:00, got {text!r}")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        return cls(start=time(h1, m1), end=time(h2 % 24, m2))


class Market(Strict):
    tone: Literal["casual", "neutral", "direct", "polite", "warm"] = "neutral"
    window: Window = Window(start=time(10), end=time(20))

    @field_validator("window", mode="before")
    @classmethod
    def _window_from_text(cls, value: Any) -> Any:
        return Window.parse(value) if isinstance(value, str) else value


class CouponPolicy(Strict):
    pool: str
    expires_days: Annotated[int, Field(ge=1, le=365)] = 30


class Flow(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
    version: int = 1
    name: str = ""
    default_locale: str = "en"
    locales: tuple[str, ...]
    coupon: CouponPolicy | None = None
    reminder_after_hours: Annotated[float, Field(gt=0)] = 20
    expire_after_hours: Annotated[float, Field(gt=0)] = 72
    #: Keyed by ISO country code; "default" applies to every other country.
    markets: dict[str, Market] = Field(default_factory=lambda: {"default": Market()})
    #: Per message kind (intro, reminder, loop), per locale: the provider template id.
    whatsapp_templates: dict[str, LocalizedText] = Field(default_factory=dict)
    texts: dict[str, LocalizedText]
    questions: tuple[Question, ...]

    @field_validator("questions")
    @classmethod
    def _at_most_five(cls, questions: tuple[Question, ...]) -> tuple[Question, ...]:
        if not questions:
            raise ValueError("a flow needs at least one question")
        if len(questions) > MAX_QUESTIONS:
            raise ValueError(
                f"a survey has at most {MAX_QUESTIONS} questions; this one has {len(questions)}"
            )
        return questions

    @field_validator("locales")
    @classmethod
    def _locales_parse(cls, locales: tuple[str, ...]) -> tuple[str, ...]:
        for tag in locales:
            try:
                Locale.parse(tag, sep="-")
            except (ValueError, UnknownLocaleError) as exc:
                raise ValueError(f"unknown locale {tag!r}") from exc
        return locales

    @model_validator(mode="after")
    def _consistent(self) -> Flow:
        if self.default_locale not in self.locales:
            raise ValueError(f"default_locale {self.default_locale!r} is not in locales")
        ids = [q.id for q in self.questions]
        if len(ids) != len(set(ids)):
            raise ValueError("question ids must be unique")
        for index, q in enumerate(self.questions):
            if q.ask_if and q.ask_if.question not in ids[:index]:
                raise ValueError(
                    f"questions.{index}.ask_if: {q.ask_if.question!r} is not an earlier question"
                )
        return self

    # -- look-ups ---------------------------------------------------------------------

    def locale_for(self, wanted: str | None) -> str:
        """The flow locale to speak to a contact whose locale is `wanted`."""
        return negotiate(wanted, self.locales, self.default_locale)

    def text(self, key: str, locale: str) -> str:
        return pick(self.texts[key], locale, self.default_locale)

    def market(self, country: str | None) -> Market:
        return self.markets.get((country or "").upper()) or self.markets.get("default") or Market()

    def template(self, kind: str, locale: str) -> str | None:
        refs = self.whatsapp_templates.get(kind)
        return pick(refs, locale, self.default_locale) if refs else None

    def question(self, question_id: str) -> Question:
        return next(q for q in self.questions if q.id == question_id)


def pick(texts: LocalizedText, locale: str, default: str) -> str:
    """The best string for `locale`: exact, then its language (pt-BR -> pt), then default."""
    chosen = negotiate(locale, tuple(texts), default)
    return texts.get(chosen) or texts[default]


# -- loading ------------------------------------------------------------------------


class _LineLoader(yaml.SafeLoader):
    """Keeps the line of every mapping key so errors can name it."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    lines = {}
    for key_node, _ in node.value:
        lines[loader.construct_object(key_node)] = key_node.start_mark.line + 1
    mapping["__lines__"] = lines
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


class _LineList(list[Any]):
    """A YAML sequence that knows the line of each item (`locales: [en, pt-Br]`)."""

    lines: list[int]


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> list[Any]:
    items = _LineList(loader.construct_sequence(node, deep=True))
    items.lines = [item.start_mark.line + 1 for item in node.value]
    return items


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def _strip_lines(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _strip_lines(v) for k, v in data.items() if k not in ("__lines__", "__line__")}
    if isinstance(data, list):
        return [_strip_lines(v) for v in data]
    return data


def _line_of(data: Any, loc: Iterable[int | str]) -> int | None:
    """Walk the raw YAML along a pydantic error location to find the nearest line."""
    line = data.get("__line__") if isinstance(data, dict) else None
    node = data
    for part in loc:
        if isinstance(node, dict):
            if part in node.get("__lines__", {}):
                line = node["__lines__"][part]
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            if isinstance(node, dict):
                line = node.get("__line__", line)
        else:
            break
    return line


def load_flow(path: Path) -> Flow:
    """Load and validate one flow file; raises FlowError listing every problem found."""
    return check_flow(path)[0]


def check_flow(path: Path) -> tuple[Flow, list[FlowProblem]]:
    """The flow and its warnings (see flow_lint); raises FlowError listing every error,
    each at its own line."""
    from bot.flow_lint import lint

    try:
        raw_text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowError(path, [FlowProblem(None, "", f"cannot read file: {exc}")]) from exc
    try:
        raw = yaml.load(raw_text, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise FlowError(path, [FlowProblem(line, "", f"invalid YAML: {problem}")]) from exc
    if not isinstance(raw, dict):
        raise FlowError(path, [FlowProblem(1, "", "a flow file must be a YAML mapping")])
    errors, warnings = lint(raw)
    try:
        flow = Flow.model_validate(_strip_lines(raw))
    except ValidationError as exc:
        linted = {p.field.split(".")[0] for p in errors}
        errors += [
            FlowProblem(
                _line_of(raw, err["loc"]),
                ".".join(str(p) for p in err["loc"]),
                err["msg"].removeprefix("Value error, "),
            )
            for err in exc.errors()
            # The lint already named the bad locale at its own line.
            if not (err["loc"] and err["loc"][0] == "locales" and "locales" in linted)
        ]
        raise FlowError(path, _by_line(errors)) from exc
    errors += _missing_translations(flow, raw)
    if errors:
        raise FlowError(path, _by_line(errors))
    return flow, _by_line(warnings)


def _by_line(problems: list[FlowProblem]) -> list[FlowProblem]:
    return sorted(problems, key=lambda p: p.line or 0)


def _missing_translations(flow: Flow, raw: dict[str, Any]) -> list[FlowProblem]:
    """Every string must exist in the default locale; every declared locale must be covered
    by itself or its language (pt-BR by pt), so no customer ever meets a silent fallback
    into another language by accident."""
    problems: list[FlowProblem] = []

    def check(texts: LocalizedText, loc: tuple[Any, ...]) -> None:
        line = _line_of(raw, loc)
        for locale in flow.locales:
            language = locale.split("-")[0]
            if locale not in texts and language not in texts:
                problems.append(
                    FlowProblem(line, ".".join(map(str, loc)), f"missing translation for {locale}")
                )

    for key in REQUIRED_TEXTS:
        if key not in flow.texts:
            problems.append(FlowProblem(_line_of(raw, ("texts",)), f"texts.{key}", "missing"))
    for key, texts in flow.texts.items():
        check(texts, ("texts", key))
    for qi, q in enumerate(flow.questions):
        check(q.text, ("questions", qi, "text"))
        for ci, c in enumerate(q.choices):
            check(c.text, ("questions", qi, "choices", ci, "text"))
    return problems


def load_flows(paths: Iterable[Path]) -> dict[str, Flow]:
    flows: dict[str, Flow] = {}
    for path in paths:
        flow = load_flow(path)
        flows[flow.id] = flow
    return flows


def flow_files(directory: Path) -> list[Path]:
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
