"""Where flows come from: the operator's folders (FLOWS_DIR) first, then the shipped ones.

A flow id found first wins, so a copy of the shipped survey in FLOWS_DIR replaces it
without touching the installed package. A broken file is reported and skipped: one bad
survey must never stop `serve` answering the webhooks of the campaigns already running.
A campaign started from a path remembers it, and the catalog reads that file when
asked for a flow id none of the folders holds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import FlowError, FlowProblem, NotFound
from bot.flows import Flow, flow_files, load_flow
from bot.resources import flows_dir

log = logging.getLogger(__name__)

SHIPPED = "shipped"
#: How long an id no file holds is not looked up again (a campaign's rows ask many times).
MISS_SECONDS = 60.0


@dataclass(frozen=True)
class FlowSource:
    path: Path
    #: "FLOWS_DIR", "shipped", or "campaign" (read from a path a campaign was started with).
    origin: str


@dataclass(frozen=True)
class Shadowed:
    path: Path
    flow_id: str
    by: Path


@dataclass
class FlowCatalog(Mapping[str, Flow]):
    flows: dict[str, Flow] = field(default_factory=dict)
    sources: dict[str, FlowSource] = field(default_factory=dict)
    broken: list[FlowError] = field(default_factory=list)
    shadowed: list[Shadowed] = field(default_factory=list)
    #: flow id -> the file a campaign was started from (None if none).
    find_path: Callable[[str], str | None] | None = None
    _misses: dict[str, float] = field(default_factory=dict)

    @classmethod
    def discover(
        cls,
        folders: Sequence[str | Path] = (),
        *,
        shipped: bool = True,
        find_path: Callable[[str], str | None] | None = None,
    ) -> FlowCatalog:
        catalog = cls(find_path=find_path)
        searched = [(Path(f).expanduser(), "FLOWS_DIR") for f in folders]
        if shipped:
            searched.append((flows_dir(), SHIPPED))
        for folder, origin in searched:
            if not folder.is_dir():
                log.warning("FLOWS_DIR %s is not a folder: skipped", folder)
                continue
            for path in flow_files(folder):
                catalog._add(path, origin)
        return catalog

    def _add(self, path: Path, origin: str) -> Flow | None:
        try:
            flow = load_flow(path)
        except FlowError as exc:
            self.broken.append(exc)
            log.warning("flow file skipped (fix it, then `postlive flows check`): %s", exc)
            return None
        if flow.id in self.sources:
            first = self.sources[flow.id].path
            if first.resolve() != path.resolve():  # FLOWS_DIR may name the shipped folder
                self.shadowed.append(Shadowed(path, flow.id, first))
            return None
        self.flows[flow.id] = flow
        self.sources[flow.id] = FlowSource(path, origin)
        return flow

    # -- Mapping -----------------------------------------------------------------------

    def __getitem__(self, flow_id: str) -> Flow:
        flow = self.flows.get(flow_id)
        if flow is None:
            flow = self._from_campaign(flow_id)
        if flow is None:
            raise KeyError(flow_id)
        return flow

    def __iter__(self) -> Iterator[str]:
        return iter(self.flows)

    def __len__(self) -> int:
        return len(self.flows)

    def __contains__(self, flow_id: object) -> bool:
        return isinstance(flow_id, str) and self.get(flow_id) is not None

    def _from_campaign(self, flow_id: str) -> Flow | None:
        if self.find_path is None:
            return None
        missed = self._misses.get(flow_id)
        if missed is not None and time.monotonic() - missed < MISS_SECONDS:
            return None
        path = self.find_path(flow_id)
        flow = self._add(Path(path), "campaign") if path and Path(path).is_file() else None
        if flow is None or flow.id != flow_id:
            self._misses[flow_id] = time.monotonic()
            return None
        return flow

    # -- what the operator names ---------------------------------------------------------

    def resolve(self, ref: str) -> tuple[Flow, Path | None]:
        """A flow id, or the path of a flow file; with the file it was read from."""
        if not _looks_like_path(ref):
            flow = self.get(ref)
            if flow is None:
                raise NotFound("flow", ref)
            source = self.sources.get(flow.id)
            return flow, source.path if source else None
        path = Path(ref).expanduser().resolve()
        flow = load_flow(path)  # FlowError names every problem
        known = self.sources.get(flow.id)
        if known and known.path.resolve() != path:
            raise FlowError(
                path,
                [
                    FlowProblem(
                        None,
                        "id",
                        f"flow id {flow.id!r} is already {known.path} ({known.origin}): "
                        "give this file its own id, or put its folder in FLOWS_DIR "
                        "(searched first)",
                    )
                ],
            )
        if not known:
            self.flows[flow.id] = flow
            self.sources[flow.id] = FlowSource(path, "path")
        return flow, path


def _looks_like_path(ref: str) -> bool:
    return ref.endswith((".yaml", ".yml")) or "/" in ref or "\\" in ref or Path(ref).is_file()


def resolve(flows: Mapping[str, Flow], ref: str) -> tuple[Flow, Path | None]:
    """A flow id or the path of a flow file, whatever mapping the App was built with."""
    catalog = flows if isinstance(flows, FlowCatalog) else FlowCatalog(flows=dict(flows))
    return catalog.resolve(ref)
