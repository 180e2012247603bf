"""Time to build a campaign digest and render it as Block Kit, over 100,000 answers (SQLite).

    .venv/bin/python benchmarks/digest.py [--conversations 25000] [--runs 7]

25,000 completed surveys in eight markets answer four questions each (rating, single
choice, multiple choice, an analysed free-text answer linked to one of 40 themes):
100,000 answers. Prints the median (and min/max) of `bot.digest.build` + Block Kit
rendering, each part alone, and as a baseline measured in the same run one full scan of
the answer table, so the ratio shows what the digest costs beyond reading the data once.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text  # noqa: E402
from sqlmodel import select  # noqa: E402

from adapters.slack.blocks import MAX_BLOCKS  # noqa: E402
from adapters.slack.digest_blocks import render  # noqa: E402
from adapters.slack.labels import TeamLanguage  # noqa: E402
from benchmarks.conditions import conditions  # noqa: E402
from bot import digest  # noqa: E402
from bot.bootstrap import build  # noqa: E402
from bot.clock import FrozenClock  # noqa: E402
from bot.db import session_scope  # noqa: E402
from bot.models import (  # noqa: E402
    Answer,
    AnswerTheme,
    Campaign,
    Contact,
    Conversation,
    Theme,
)
from bot.settings import Settings  # noqa: E402

MARKETS = (
    ("US", "en-US"), ("DE", "de"), ("JP", "ja"), ("BR", "pt-BR"),
    ("FR", "fr"), ("ID", "id"), ("TH", "th"), ("CN", "zh-CN"),
)  # fmt: skip
SAID = "The colour looked different from the stream, and delivery took twelve days."
CATEGORIES = ("complaint", "suggestion", "praise", "usage_experience", "product_question", "other")
KEYWORDS = ("colour", "delivery", "size", "packaging", "price", "live show", "quality")


def seed(app_engine: object, n: int, now: datetime, rng: random.Random) -> int:
    engine = app_engine
    with session_scope(engine) as session:  # type: ignore[arg-type]
        campaign = Campaign(
            flow_id="post-live", audience_tag="bench", show="Benchmark show", status="running",
            created_at=now, starts_at=now, analysis_prompt_tokens=900_000,
        )  # fmt: skip
        session.add(campaign)
        session.flush()
        campaign_id = campaign.id
        session.execute(
            insert(Theme),
            [
                {"campaign_id": campaign_id, "key": f"t{t}", "label": f"Theme {t}: {SAID[:40]}",
                 "category": CATEGORIES[t % 6], "created_at": now}
                for t in range(40)
            ],
        )  # fmt: skip
        theme_ids = list(session.exec(select(Theme.id)).all())
    for start in range(0, n, 5000):
        chunk = range(start, min(n, start + 5000))
        with session_scope(engine) as session:  # type: ignore[arg-type]
            session.execute(
                insert(Contact),
                [{"channel": "whatsapp", "address": f"+1888{i:08d}", "consent": True,
                  "locale": MARKETS[i % 8][1], "country": MARKETS[i % 8][0]} for i in chunk],
            )  # fmt: skip
            ids = dict(
                session.exec(
                    select(Contact.address, Contact.id).where(
                        Contact.address >= f"+1888{start:08d}"
                    )
                ).all()
            )
            session.execute(
                insert(Conversation),
                [{"campaign_id": campaign_id, "contact_id": ids[f"+1888{i:08d}"],
                  "state": "completed", "locale": MARKETS[i % 8][1], "market": MARKETS[i % 8][0],
                  "answers": {}, "position": 4, "retries": 0, "steps": 5,
                  "sent_at": now, "started_at": now, "completed_at": now} for i in chunk],
            )  # fmt: skip
            conversations = session.exec(
                select(Conversation.id).where(Conversation.id > start).order_by(Conversation.id)
            ).all()[: len(chunk)]
            rows = []
            for i, conversation_id in zip(chunk, conversations, strict=True):
                base = {
                    "conversation_id": conversation_id,
                    "media": [],
                    "themes": [],
                    "skipped": False,
                    "locale": MARKETS[i % 8][1],
                    "created_at": now,
                }
                rating = str(rng.choice((1, 2, 3, 4, 4, 5, 5, 5)))
                rows.append(
                    {
                        **base,
                        "question_id": "overall",
                        "question_type": "rating",
                        "raw_text": rating,
                        "value": rating,
                    }
                )
                rows.append(
                    {
                        **base,
                        "question_id": "product",
                        "question_type": "single",
                        "raw_text": "1",
                        "value": rng.choice(("love", "ok", "not_for_me")),
                    }
                )
                rows.append(
                    {
                        **base,
                        "question_id": "problems",
                        "question_type": "multi",
                        "raw_text": "1, 3",
                        "value": rng.choice(("late,damaged", "none")),
                    }
                )
                rows.append({**base, "question_id": "improve", "question_type": "text",
                             "raw_text": SAID, "translation": SAID, "language": "en",
                             "category": CATEGORIES[i % 6], "sentiment_label": "negative",
                             "sentiment_score": -0.5, "analyzer": "openai:bench",
                             "analyzed_at": now - timedelta(hours=i % 48),
                             "themes": rng.sample(KEYWORDS, 2), "confidence": 0.9,
                             "review_status": "pending" if i % 13 == 0 else None,
                             "alert_status": "open" if i % 97 == 0 else None})  # fmt: skip
            session.execute(insert(Answer), rows)
            texts = session.exec(
                select(Answer.id)
                .where(Answer.question_id == "improve", Answer.conversation_id >= conversations[0])
                .order_by(Answer.id)
            ).all()
            session.execute(
                insert(AnswerTheme),
                [{"answer_id": a, "theme_id": theme_ids[k % 40]} for k, a in enumerate(texts)],
            )
    return campaign_id  # type: ignore[return-value]


def timed(fn: Callable[[], object], runs: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=25_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(conditions("digest, start"))
    workdir = Path(tempfile.mkdtemp(prefix="postlive-digest-bench-"))
    try:
        clock = FrozenClock(datetime(2026, 11, 25, 1, 0, tzinfo=UTC))
        app = build(
            Settings(_env_file=None, database_url=f"sqlite:///{workdir / 'bench.db'}"),  # type: ignore[call-arg]
            clock=clock,
        )
        t0 = time.perf_counter()
        campaign_id = seed(app.engine, args.conversations, clock.now(), random.Random(3))
        with session_scope(app.engine) as session:
            answers = session.execute(text("SELECT count(*) FROM answer")).scalar_one()
            session.execute(text("ANALYZE"))
        print(f"seeded {answers:,} answers in {time.perf_counter() - t0:.1f}s (SQLite)")
        flow = app.flows["post-live"]
        team = TeamLanguage("en")

        def build_digest() -> digest.Digest:
            with session_scope(app.engine) as session:
                campaign = session.get(Campaign, campaign_id)
                assert campaign is not None
                return digest.build(session, campaign, flow, token_cap=2_000_000, now=clock.now())

        def scan() -> object:
            with session_scope(app.engine) as session:
                return session.execute(
                    text("SELECT count(*), sum(length(raw_text)), sum(length(themes)) FROM answer")
                ).one()

        build_digest()  # warm the page cache and imports, as a running server would be
        build_times, built = timed(build_digest, args.runs)
        render_times, messages = timed(lambda: render(built, team), args.runs)  # type: ignore[arg-type]
        total_times, _ = timed(lambda: render(build_digest(), team), args.runs)
        scan_times, _ = timed(scan, args.runs)
        assert all(len(m) <= MAX_BLOCKS for m in messages)  # type: ignore[union-attr]

        def ms(values: list[float]) -> str:
            return (
                f"median {1000 * statistics.median(values):7.1f} ms  "
                f"(min {1000 * min(values):.1f}, max {1000 * max(values):.1f})"
            )

        print(f"digest build + Block Kit render : {ms(total_times)}")
        print(f"  bot.digest.build              : {ms(build_times)}")
        print(f"  Block Kit render              : {ms(render_times)}")
        print(f"baseline: one full answer scan  : {ms(scan_times)}")
        ratio = statistics.median(total_times) / statistics.median(scan_times)
        print(f"digest / full scan              : {ratio:.1f}x")
        print(f"{len(messages)} message(s), {sum(len(m) for m in messages)} blocks")  # type: ignore[union-attr]
        app.engine.dispose()
        print(conditions("digest, end"))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
