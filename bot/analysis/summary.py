"""What a file of comments says, for a person: the view `postlive analyze` prints.

Categories with counts, themes with counts and one or two originals each, the top
product questions grouped (the same question in any language and wording is one line,
named in the team's language: the radar's reading of questions), what is urgent, and how
much a human must review. Built row by row with bounded memory: counts, and at most
`ORIGINALS` texts kept per line shown.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bot.analysis.intents import intents
from bot.analysis.interface import Category, Result, Urgency, theme_key
from bot.analysis.questions import read_question

#: Originals kept (and shown) per theme and per question.
ORIGINALS = 2
#: Lines shown per section.
TOP = 10
_SHOWN = 90  # characters of an original shown
_LABEL = 48  # characters of a label shown


@dataclass
class _Line:
    """One theme or one grouped question: how often, named how, said how."""

    label: str
    count: int = 0
    originals: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.count += 1
        if len(self.originals) < ORIGINALS and text not in self.originals:
            self.originals.append(text)


@dataclass
class Summary:
    team_language: str = "en"
    rows: int = 0
    analysed: int = 0
    reviewed: int = 0
    categories: Counter[str] = field(default_factory=Counter)
    analyzers: Counter[str] = field(default_factory=Counter)
    themes: dict[str, _Line] = field(default_factory=dict)
    questions: dict[str, _Line] = field(default_factory=dict)
    urgent: _Line = field(default_factory=lambda: _Line("urgent"))

    def add(self, text: str | None, result: Result | None, review: str | None) -> None:
        """Count one row (`text` is the original; `result` None: nothing to analyse)."""
        self.rows += 1
        if result is None or not text:
            return
        self.analysed += 1
        self.reviewed += review is not None
        self.categories[str(result.category)] += 1
        self.analyzers[result.analyzer] += 1
        for theme in result.themes:
            key = theme.key or theme_key(theme.label)
            self.themes.setdefault(key, _Line(theme.label)).add(text)
        if result.category == Category.PRODUCT_QUESTION:
            key, label = self._question(text, result.translation)
            self.questions.setdefault(key, _Line(label)).add(text)
        if result.category == Category.COMPLAINT and result.urgency == Urgency.HIGH:
            self.urgent.add(text)

    def _question(self, text: str, translation: str | None) -> tuple[str, str]:
        """A grouping key and the question in the team's language: the radar's intent
        ("How much is it?") when it knows the question, else the words themselves."""
        for said in (text, translation):
            reading = read_question(said) if said else None
            if reading is not None and reading.intent != "other":
                return reading.key, intents().label(
                    reading.intent, reading.slot, self.team_language
                )
        words = translation or text
        return "text:" + theme_key(words), words

    def render(self) -> str:
        """The human view, plain text (a terminal, a pipe, a ticket)."""
        out = [self._headline()]
        if not self.analysed:
            return out[0] + "\n"
        out += ["", "Categories"]
        width = max(len(c) for c in self.categories)
        for category, count in self.categories.most_common():
            share = count / self.analysed
            out.append(f"  {category:<{width}}  {count:>6,}  {share:>4.0%}")
        for title, lines in (
            ("Top product questions", self.questions),
            ("Themes", self.themes),
        ):
            if lines:
                out += ["", f"{title} ({len(lines):,})"]
                out += _ranked(lines)
        if self.urgent.count:
            out += ["", f"Urgent complaints ({self.urgent.count:,})"]
            out += [f"  {_quote(t)}" for t in self.urgent.originals]
        return "\n".join(out) + "\n"

    def _headline(self) -> str:
        by = ", ".join(self.analyzers) or "nothing"
        share = self.reviewed / self.analysed if self.analysed else 0.0
        return (
            f"{self.rows:,} rows, {self.analysed:,} with text, analysed by {by}; "
            f"sent to review: {self.reviewed:,} ({share:.1%}); urgent: {self.urgent.count:,}"
        )


def _ranked(lines: dict[str, _Line]) -> list[str]:
    top = sorted(lines.values(), key=lambda line: (-line.count, line.label))[:TOP]
    width = min(max(len(line.label) for line in top), _LABEL)
    return [
        f"  {line.count:>6,}  {line.label[:_LABEL]:<{width}}  "
        + " · ".join(_quote(t) for t in line.originals)
        for line in top
    ]


def _quote(text: str) -> str:
    flat = " ".join(text.split())
    return f'"{flat[:_SHOWN]}…"' if len(flat) > _SHOWN else f'"{flat}"'
