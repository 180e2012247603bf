"""Prompt templates are files (`prompts/*.md`), versioned in their YAML front matter.

The version is part of the analysis cache key and of Answer.analyzer, so editing a prompt
and bumping its version re-analyses answers instead of mixing two prompts' judgements.
Placeholders are `{{name}}`; rendering refuses a missing or an unknown one, so a typo in a
template fails loudly instead of sending "{{team_langauge}}" to the model.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.errors import ConfigError
from bot.resources import prompts_dir

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n(.*)\Z", re.DOTALL)
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")


@dataclass(frozen=True)
class Prompt:
    name: str
    version: int
    template: str
    path: Path

    @property
    def tag(self) -> str:
        """ "analyze.v1": what Answer.analyzer and the cache key record."""
        return f"{self.name}.v{self.version}"

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset(_PLACEHOLDER.findall(self.template))

    def render(self, **values: str) -> str:
        missing = self.placeholders - values.keys()
        unknown = values.keys() - self.placeholders
        if missing or unknown:
            raise ConfigError(
                f"{self.path}: placeholders missing {sorted(missing)}, unknown {sorted(unknown)}"
            )
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], self.template).strip()


def parse_prompt(path: Path) -> Prompt:
    text = path.read_text(encoding="utf-8")
    match = _FRONT_MATTER.match(text)
    if not match:
        raise ConfigError(f"{path}: no YAML front matter (--- name/version --- then the text)")
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: front matter is not YAML: {exc}") from exc
    version = meta.get("version")
    if not isinstance(version, int) or version < 1:
        raise ConfigError(f"{path}: front matter needs an integer version >= 1")
    return Prompt(str(meta.get("name") or path.stem), version, match.group(2), path)


@functools.cache
def load_prompt(name: str, directory: Path | None = None) -> Prompt:
    """The shipped template `prompts/<name>.md` (cached: prompts change with a release)."""
    return parse_prompt((directory or prompts_dir()) / f"{name}.md")


def language_name(tag: str) -> str:
    """'pt-BR' -> 'Portuguese (Brazil) [pt-BR]': unambiguous for a model."""
    from babel import Locale, UnknownLocaleError

    try:
        name = Locale.parse(tag.replace("-", "_")).get_display_name("en")
    except (ValueError, UnknownLocaleError):
        return tag
    return f"{name} [{tag}]" if name else tag
