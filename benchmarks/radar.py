"""Live question radar: grouping quality, throughput, latency and memory.

    .venv/bin/python benchmarks/radar.py [--comments 1000000] [--paced-seconds 60] [--rate 200]

1. Quality on the hand-labelled show (tests/data/live/labelled_show.csv, 335 comments in
   8 languages): question detection and pairwise grouping precision/recall. The lexicon
   and the labels were written by the same person: read these as optimistic.
2. Flood: N comments (the labelled show's comments, re-authored by a pool of 50,000
   viewers, every third one with a variation so texts differ) through a LiveSession
   exactly as in production: radar, language detection, SQLite storage of every
   comment, board every tick. Show time advances at 1,000,000 comments per 3 hours (the
   issue's "3-hour show"); the machine processes as fast as it can. Prints comments/s,
   per-tick processing latency p50/p95/p99, RSS sampled through the run (flat or not)
   and peak RSS.
3. Paced: comments arrive on the event loop at --rate per second for --paced-seconds
   while the session ticks on its own (every 0.5 s): the comment-to-board latency a host
   sees (arrival -> board published), p50/p95/p99.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.analysis.questions import _read_shipped  # noqa: E402
from bot.clock import FrozenClock, SystemClock  # noqa: E402
from bot.db import make_engine, upgrade  # noqa: E402
from bot.radar import LiveComment, Radar  # noqa: E402
from bot.radar.evaluation import score  # noqa: E402
from bot.radar.session import LiveSession  # noqa: E402

LABELLED = ROOT / "tests" / "data" / "live" / "labelled_show.csv"
T0 = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
SHOW_RATE = 1_000_000 / (3 * 3600)  # comments per second of show time
TICK = 0.5
_EXTRA = ["", " 🔥", " !!", " pls", " 😍😍", " ??", " kak", " 🙏"]


def rows() -> list[dict[str, str]]:
    with LABELLED.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def conditions() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"cpu_count={os.cpu_count()}, loadavg=({load}), python {sys.version.split()[0]}"


def quality() -> None:
    data = rows()
    comments = [
        LiveComment(
            r["platform"],
            "Q",
            r["author_id"],
            r["author_name"],
            r["text"],
            T0 + timedelta(seconds=float(r["time"])),
        )
        for r in data
    ]
    seen = Radar("en").ingest(comments)
    found = score(
        [r["label"] or None for r in data], [s.reading.key if s.reading else None for s in seen]
    )
    languages = len({r["written_in"] for r in data})
    print(
        f"1. Grouping quality: {found.comments} labelled comments, {languages} languages, "
        f"{found.questions_labelled} questions labelled, {found.questions_found} found"
    )
    print(
        f"   detection  precision {found.detection_precision:.3f}"
        f"  recall {found.detection_recall:.3f}"
    )
    print(
        f"   grouping   precision {found.grouping_precision:.3f}"
        f"  recall {found.grouping_recall:.3f} (pairwise)"
    )


def stream(count: int, seed: int = 7) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)
    base = [(r["platform"], r["text"]) for r in rows()]
    out = []
    for i in range(count):
        platform, text = base[i % len(base)]
        if i % 3 == 0:
            text += rng.choice(_EXTRA)
        out.append((platform, f"v{rng.randrange(50_000)}", text))
    return out


async def flood(count: int, engine_url: str) -> None:
    engine = make_engine(engine_url)
    upgrade(engine)
    clock = FrozenClock(T0)
    session = LiveSession("FLOOD", "t", Radar("en"), engine, clock)
    per_tick = max(1, round(SHOW_RATE * TICK))
    latencies: list[float] = []
    samples: list[tuple[int, float]] = []
    texts = stream(min(count, 200_000))
    start = time.perf_counter()
    done = 0
    next_sample = 0
    while done < count:
        batch = []
        now = clock.now()
        for j in range(min(per_tick, count - done)):
            platform, author, text = texts[(done + j) % len(texts)]
            batch.append(
                LiveComment(
                    platform, "FLOOD", author, author, text, now, external_id=f"c{done + j}"
                )
            )
        began = time.perf_counter()
        session.feed(batch)
        await session.tick()
        latencies.append(time.perf_counter() - began)
        done += len(batch)
        clock.advance(seconds=TICK)
        if done >= next_sample:
            samples.append((done, rss_mb()))
            next_sample += max(1, count // 20)
            so_far = time.perf_counter() - start
            print(
                f"   … {done:,} comments, {done / so_far:,.0f}/s so far,"
                f" RSS {samples[-1][1]:.0f} MB,"
                f" tick p95 {pct(latencies, 0.95) * 1000:.0f} ms, loadavg {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    elapsed = time.perf_counter() - start
    samples.append((done, rss_mb()))
    groups = len(session.radar.groups)
    viewers = sum(len(g.viewers) for g in session.radar.groups.values())
    engine.dispose()
    print(
        f"2. Flood: {count:,} comments, show time {count / SHOW_RATE / 3600:.2f} h at "
        f"{SHOW_RATE:.1f}/s, batches of {per_tick} per {TICK}s tick, SQLite storage on"
    )
    print(f"   throughput {count / elapsed:,.0f} comments/s ({elapsed:.1f} s wall)")
    print(
        f"   per-tick processing latency p50 {pct(latencies, 0.5) * 1000:.1f} ms, "
        f"p95 {pct(latencies, 0.95) * 1000:.1f} ms, p99 {pct(latencies, 0.99) * 1000:.1f} ms"
    )
    print(
        "   RSS through the run (comments: MB): "
        + ", ".join(f"{n:,}: {mb:.0f}" for n, mb in samples)
    )
    print(
        f"   peak RSS {peak_mb():.0f} MB; board at the end: {groups} groups,"
        f" {viewers:,} viewer entries"
    )
    reads = _read_shipped.cache_info()
    print(
        f"   {len({t for _, _, t in texts}):,} distinct texts in the stream (so caches help"
        f" more than in a real show): question readings from memory"
        f" {reads.hits / max(1, reads.hits + reads.misses):.0%}, language detections from"
        f" memory {session.radar.detections_saved / max(1, session.radar.questions):.0%}"
        " of questions"
    )


async def paced(seconds: float, rate: float, engine_url: str) -> None:
    engine = make_engine(engine_url)
    upgrade(engine)
    session = LiveSession("PACED", "p", Radar("en"), engine, SystemClock())
    waits: list[float] = []
    session.on_publish.append(lambda latency, n: waits.extend([latency] * n))
    session.start()
    texts = stream(int(seconds * rate) + 1, seed=11)
    loop = asyncio.get_running_loop()
    start = loop.time()
    sent = 0
    step = 0.05
    while (elapsed := loop.time() - start) < seconds:
        due = int(elapsed * rate)
        batch = [
            LiveComment(p, "PACED", a, a, t, datetime.now(UTC), external_id=f"p{sent + j}")
            for j, (p, a, t) in enumerate(texts[sent:due])
        ]
        session.feed(batch)
        sent = due
        await asyncio.sleep(step)
    await session.stop()
    engine.dispose()
    print(
        f"3. Paced: {sent:,} comments at {rate:.0f}/s for {seconds:.0f} s, session ticking "
        f"every {session.tick_seconds}s on its own"
    )
    print(
        f"   comment-to-board latency p50 {pct(waits, 0.5) * 1000:.0f} ms, "
        f"p95 {pct(waits, 0.95) * 1000:.0f} ms, p99 {pct(waits, 0.99) * 1000:.0f} ms "
        f"({len(waits):,} comments measured)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--paced-seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=200.0)
    args = parser.parse_args()
    print(f"conditions at start: {conditions()}", flush=True)
    began = time.perf_counter()
    quality()  # also builds the language detector and both lexicons, once per process
    print(f"   (cold start incl. detector and lexicons: {time.perf_counter() - began:.1f} s)")
    with tempfile.TemporaryDirectory() as tmp:
        if args.paced_seconds > 0:
            asyncio.run(paced(args.paced_seconds, args.rate, f"sqlite:///{tmp}/paced.db"))
        asyncio.run(flood(args.comments, f"sqlite:///{tmp}/flood.db"))
    print(f"conditions at end: {conditions()}")


if __name__ == "__main__":
    main()
