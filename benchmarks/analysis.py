"""Feedback analysis: offline accuracy, offline throughput, OpenAI batching.

    .venv/bin/python benchmarks/analysis.py [--comments 10000] [--no-cli]

1. Offline throughput on N comments: the analyzer in-process (cold: detector and lexicon
   built; warm), and `postlive analyze` end to end on a CSV (process start included).
2. Offline analyzer accuracy on tests/data/labelled_answers.jsonl (category and
   sentiment, per language and overall), for the "dev" split (written alongside the
   lexicon: optimistic) and the "holdout" split (never tuned on), with the survey rating
   as context and with the words alone (as for exported live comments).
3. The OpenAI path against the local fake server (tests/integration/analysis/
   fake_openai.py, same real SDK): prompt tokens per answer when answers are batched
   (ANALYSIS_BATCH_TOKENS) versus one call per answer, measured in the same run. The
   fake counts tokens as characters / 4 of the request, so the ratio is the point, not
   the absolute figure.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.conditions import conditions  # noqa: E402
from bot.analysis.interface import Item  # noqa: E402

LABELLED = ROOT / "tests" / "data" / "labelled_answers.jsonl"
LIVE = ROOT / "tests" / "data" / "live" / "labelled_show.csv"


def load() -> list[dict[str, object]]:
    return [json.loads(line) for line in LABELLED.open(encoding="utf-8")]


def accuracy(rows: list[dict[str, object]], use_rating: bool) -> dict[str, Counter[str]]:
    from bot.analysis.offline import OfflineAnalyzer

    items = [Item(str(r["text"]), rating=r["rating"] if use_rating else None) for r in rows]  # type: ignore[arg-type]
    results = OfflineAnalyzer().analyze(items).results
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for row, result in zip(rows, results, strict=True):
        assert result is not None
        for key in (str(row["language"]), "all"):
            table[key]["n"] += 1
            table[key]["category"] += row["category"] == result.category
            table[key]["sentiment"] += row["sentiment"] == result.sentiment
            table[key]["language"] += row["language"] == result.language
    return table


def print_accuracy(rows: list[dict[str, object]]) -> None:
    print("\n2. Offline accuracy on tests/data/labelled_answers.jsonl")
    for split in ("dev", "holdout"):
        subset = [r for r in rows if r["split"] == split]
        with_rating, words_only = accuracy(subset, True), accuracy(subset, False)
        print(f"\n  split {split}: {len(subset)} answers")
        print(f"  {'lang':<5}{'n':>4}{'category':>10}{'sentiment':>11}{'words only':>12}", end="")
        print(f"{'language':>10}")
        for language in sorted(with_rating, key=lambda k: (k == "all", k)):
            c, w = with_rating[language], words_only[language]
            n = c["n"]
            print(
                f"  {language:<5}{n:>4}{c['category'] / n:>10.0%}{c['sentiment'] / n:>11.0%}"
                f"{w['sentiment'] / n:>12.0%}{c['language'] / n:>10.0%}"
            )
    print("  (sentiment: with the survey rating as context; words only: without it)")


def comments(rows: list[dict[str, object]], n: int) -> list[str]:
    """n comments cycled from the labelled texts, varied so no two are identical."""
    suffixes = ("", "!", " 🙏", "!!", " 😍", "...", " lol", " ?")
    return [
        f"{rows[i % len(rows)]['text']}{suffixes[(i // len(rows)) % len(suffixes)]} #{i}"
        for i in range(n)
    ]


def print_throughput(texts: list[str], cli: bool) -> None:
    from bot.analysis.language import detector
    from bot.analysis.lexicon import lexicon
    from bot.analysis.offline import OfflineAnalyzer

    print(f"1. Offline throughput, {len(texts):,} comments, {os.cpu_count()} cores")
    started = time.perf_counter()
    detector()
    built_detector = time.perf_counter() - started
    started = time.perf_counter()
    lexicon()
    built_lexicon = time.perf_counter() - started
    items = [Item(t) for t in texts]
    started = time.perf_counter()
    OfflineAnalyzer().analyze(items)
    warm = time.perf_counter() - started
    print(f"  build once: lingua detector {built_detector:.2f} s, lexicon {built_lexicon:.2f} s")
    print(f"  analyzer, warm: {warm:.2f} s ({len(texts) / warm:,.0f} comments/s)")
    print(f"  analyzer, cold (build + warm): {built_detector + built_lexicon + warm:.2f} s")
    if not cli:
        return
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "comments.csv"
        with source.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["comment_id", "user", "text"])
            writer.writerows([f"c{i}", f"viewer{i}", t] for i, t in enumerate(texts))
        env = {
            **os.environ,
            "POSTLIVE_ANALYZER": "offline",
            "OPENAI_API_KEY": "",
            "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite",
        }
        env.pop("OPENAI_API_KEY")
        started = time.perf_counter()
        done = subprocess.run(
            [
                str(ROOT / ".venv" / "bin" / "postlive"),
                "analyze",
                str(source),
                "--out",
                f"{tmp}/out.jsonl",
            ],
            env=env,
            cwd=tmp,
            capture_output=True,
            text=True,
            check=True,
        )
        wall = time.perf_counter() - started
        with open(f"{tmp}/out.jsonl", encoding="utf-8") as fh:
            lines = sum(1 for _ in fh)
    print(
        f"  `postlive analyze` end to end (process start included): {wall:.2f} s, {lines:,} lines"
    )
    print(f"  it printed: {done.stderr.strip().splitlines()[-1]}")


def print_batching(rows: list[dict[str, object]]) -> None:
    from pydantic import SecretStr

    from bot.analysis.openai_analyzer import OpenAIAnalyzer
    from bot.settings import Settings
    from tests.integration.analysis.fake_openai import FakeOpenAI

    items = [Item(str(r["text"])) for r in rows]
    print(
        f"\n3. OpenAI path against the local fake server, {len(items)} labelled answers, no cache"
    )
    figures = {}
    with FakeOpenAI() as server:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            openai_api_key=SecretStr("sk-bench"),
            openai_base_url=server.base_url,
        )
        for label, budget in (
            ("batched", settings.analysis_batch_tokens),
            ("one call per answer", 1),
        ):
            analyzer = OpenAIAnalyzer(settings, batch_tokens=budget)
            started = time.perf_counter()
            outcome = analyzer.analyze(items)
            seconds = time.perf_counter() - started
            analyzer.close()
            figures[label] = outcome
            print(
                f"  {label:<20} {outcome.requests:>4} requests, "
                f"prompt tokens {outcome.prompt_tokens:>7,} "
                f"({outcome.prompt_tokens / len(items):,.0f} per answer), completion "
                f"{outcome.completion_tokens:,}, {seconds:.2f} s"
            )
    ratio = figures["one call per answer"].prompt_tokens / figures["batched"].prompt_tokens
    budget = settings.analysis_batch_tokens
    print(
        f"  one call per answer costs {ratio:.1f}x the prompt tokens of batching "
        f"(budget {budget:,} prompt tokens per request)"
    )


def print_live() -> None:
    """The issue's complaint: 30 % of a live show's comments went to human review."""
    from bot.analysis.interface import Category
    from bot.analysis.offline import OfflineAnalyzer
    from bot.analysis.review import review_reason

    with LIVE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    analyzer = OfflineAnalyzer()
    items = [Item(row["text"]) for row in rows]
    results = analyzer.analyze(items).results
    reviewed = sum(
        bool(r and review_reason(i, r, analyzer)) for i, r in zip(items, results, strict=True)
    )
    asked = [r for row, r in zip(rows, results, strict=True) if row["label"]]
    chat = [r for row, r in zip(rows, results, strict=True) if not row["label"]]
    found = sum(bool(r and r.category == Category.PRODUCT_QUESTION) for r in asked)
    wrong = sum(bool(r and r.category == Category.COMPLAINT) for r in chat)
    print(f"\n4. Offline analysis of the labelled live show ({LIVE.relative_to(ROOT)})")
    print(f"  sent to review: {reviewed} of {len(rows)} ({reviewed / len(rows):.1%})")
    print(f"  labelled questions read as product questions: {found}/{len(asked)}")
    print(f"  chatter and praise read as complaints: {wrong}/{len(chat)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--comments", type=int, default=10_000)
    parser.add_argument("--no-cli", action="store_true", help="skip the end-to-end CLI run")
    args = parser.parse_args()
    print(conditions("analysis, start"))
    rows = load()
    print_throughput(comments(rows, args.comments), cli=not args.no_cli)  # first: cold build
    print_accuracy(rows)
    print_batching(rows)
    print_live()
    print(conditions("analysis, end"))


if __name__ == "__main__":
    main()
