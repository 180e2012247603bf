"""Checks of a flow file the model alone cannot make, run on the raw YAML so each problem
points at its own line, and run even when the model refuses the file (an operator fixes
every problem in one pass, not one per run).

Errors make the file unusable (a misspelt locale key means those customers silently get
another language); warnings are what stops real WhatsApp sends but not a test (template
ids still the shipped placeholders, or not set for a locale).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from babel import Locale, UnknownLocaleError

from bot.errors import FlowProblem

#: A Twilio Content SID: HX and 32 hex digits.
CONTENT_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")
#: The shipped flows' stand-ins: HX followed by zeros, a kind number and a locale number.
PLACEHOLDER_SID = re.compile(r"^HX0{20,}[0-9]*$")
#: Messages postlive starts itself: WhatsApp needs an approved template for them.
BUSINESS_INITIATED = ("intro", "reminder", "loop")


def locale_problem(tag: object) -> str | None:
    """Why `tag` is not a locale as flows write them (BCP 47, CLDR-known), or None."""
    if not isinstance(tag, str) or not tag:
        return f"{tag!r} is not a locale"
    try:
        Locale.parse(tag, sep="-")
    except (ValueError, UnknownLocaleError, TypeError):
        return f"unknown locale {tag!r} (not a CLDR locale)"
    canonical = _canonical(tag)
    if canonical != tag:
        return f"locale {tag!r} is written {canonical!r}"
    return None


def _canonical(tag: str) -> str:
    """pt-br -> pt-BR, zh-hans -> zh-Hans: language lower, script title, region upper."""
    parts = tag.replace("_", "-").split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif len(part) in (2, 3):
            out.append(part.upper())
        else:
            out.append(part)
    return "-".join(out)


def lint(raw: dict[str, Any]) -> tuple[list[FlowProblem], list[FlowProblem]]:
    """(errors, warnings) of a raw flow mapping as read by flows._LineLoader."""
    errors: list[FlowProblem] = []
    warnings: list[FlowProblem] = []
    found = raw.get("locales")
    declared: list[Any] = found if isinstance(found, list) else []
    lines = getattr(raw.get("locales"), "lines", [])
    for index, tag in enumerate(declared):
        problem = locale_problem(tag)
        if problem:
            line = lines[index] if index < len(lines) else _line(raw, "locales")
            errors.append(FlowProblem(line, f"locales.{index}", problem))
    known = {t for t in declared if isinstance(t, str)}
    languages = {t.split("-")[0] for t in known}
    for mapping, field in _localized_maps(raw):
        for key in _keys(mapping):
            where = f"{field}.{key}"
            problem = locale_problem(key)
            if problem:
                errors.append(FlowProblem(_line(mapping, key), where, problem))
            elif known and key not in known and key not in languages:
                warnings.append(
                    FlowProblem(_line(mapping, key), where, f"{key} is not in locales: never used")
                )
    warnings.extend(_template_warnings(raw, declared))
    return errors, warnings


def _template_warnings(raw: dict[str, Any], declared: list[Any]) -> Iterator[FlowProblem]:
    templates = raw.get("whatsapp_templates")
    templates = templates if isinstance(templates, dict) else {}
    for kind in BUSINESS_INITIATED:
        refs = templates.get(kind)
        if not isinstance(refs, dict):
            yield FlowProblem(
                _line(raw, "whatsapp_templates") or 1,
                f"whatsapp_templates.{kind}",
                f"not set: WhatsApp customers outside their 24-hour window cannot get the {kind}",
            )
            continue
        placeholders: list[str] = []
        first_line: int | None = None
        for key in _keys(refs):
            value = refs[key]
            where = f"whatsapp_templates.{kind}.{key}"
            if isinstance(value, str) and PLACEHOLDER_SID.match(value):
                placeholders.append(str(key))
                first_line = first_line or _line(refs, key)
            elif not isinstance(value, str) or not CONTENT_SID.match(value):
                yield FlowProblem(
                    _line(refs, key), where, f"{value!r} is not a Twilio Content SID (HX + 32 hex)"
                )
        if placeholders:
            yield FlowProblem(
                first_line,
                f"whatsapp_templates.{kind}",
                f"placeholder ids (HX000...) for {', '.join(placeholders)}: "
                "set your approved templates before sending on WhatsApp",
            )
        covered = set(_keys(refs))
        for tag in declared:
            if isinstance(tag, str) and tag not in covered and tag.split("-")[0] not in covered:
                yield FlowProblem(
                    _line(templates, kind), f"whatsapp_templates.{kind}", f"not set for {tag}"
                )


def _localized_maps(raw: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    """Every locale -> string mapping of a flow, with its field path."""
    texts = raw.get("texts")
    if isinstance(texts, dict):
        for key in _keys(texts):
            if isinstance(texts[key], dict):
                yield texts[key], f"texts.{key}"
    templates = raw.get("whatsapp_templates")
    if isinstance(templates, dict):
        for kind in _keys(templates):
            if isinstance(templates[kind], dict):
                yield templates[kind], f"whatsapp_templates.{kind}"
    questions = raw.get("questions")
    for qi, question in enumerate(questions if isinstance(questions, list) else []):
        if not isinstance(question, dict):
            continue
        if isinstance(question.get("text"), dict):
            yield question["text"], f"questions.{qi}.text"
        choices = question.get("choices")
        for ci, choice in enumerate(choices if isinstance(choices, list) else []):
            if isinstance(choice, dict) and isinstance(choice.get("text"), dict):
                yield choice["text"], f"questions.{qi}.choices.{ci}.text"


def _keys(mapping: dict[Any, Any]) -> list[Any]:
    return [k for k in mapping if k not in ("__lines__", "__line__")]


def _line(mapping: Any, key: str) -> int | None:
    if not isinstance(mapping, dict):
        return None
    return mapping.get("__lines__", {}).get(key) or mapping.get("__line__")
