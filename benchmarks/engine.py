"""End-to-end answer throughput on SQLite: inbound stored, engine step, outbox committed.

    .venv/bin/python benchmarks/engine.py [--conversations 10000]

10,000 simulated conversations each answer the shipped survey (rating, choice, multi
choice, free text: four inbound messages), through `Intake.receive`, the path a webhook
takes. Prints answers per second, per-answer latency percentiles, and, as a baseline
measured in the same run, the pure engine step alone (no database), so the ratio shows
what storage costs.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import func, select  # noqa: E402

from benchmarks.conditions import conditions  # noqa: E402
from bot import campaigns, coupons  # noqa: E402
from bot.bootstrap import build  # noqa: E402
from bot.clock import FrozenClock  # noqa: E402
from bot.db import session_scope  # noqa: E402
from bot.engine import Convo, Start, step  # noqa: E402
from bot.messages import Channel, Inbound  # noqa: E402
from bot.models import AudienceMember, Contact, Conversation, ConversationState  # noqa: E402
from bot.settings import Settings  # noqa: E402

ANSWERS = ("5", "1", "late, damaged", "The colour looked brighter on the stream")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=10_000)
    args = parser.parse_args()
    n = args.conversations
    print(conditions("engine, start"))
    workdir = Path(tempfile.mkdtemp(prefix="postlive-bench-"))
    try:
        clock = FrozenClock(datetime(2026, 11, 25, 1, 0, tzinfo=UTC))
        app = build(
            Settings(_env_file=None, database_url=f"sqlite:///{workdir / 'bench.db'}"),  # type: ignore[call-arg]
            clock=clock,
        )
        flow = app.flows["post-live"]
        t0 = time.perf_counter()
        with session_scope(app.engine) as session:
            for i in range(n):
                contact = Contact(
                    channel="whatsapp",
                    address=f"+1212{i:07d}",
                    locale="en-US",
                    country="US",
                    timezone="America/New_York",
                    consent=True,
                )
                session.add(contact)
                session.flush()
                session.add(AudienceMember(tag="bench", contact_id=contact.id))
            coupons.generate(session, "post-live", n)
            # No spreading over the window (rates={}): every intro is due now, so every
            # conversation opens and every answer below takes the open-conversation path.
            campaigns.start(session, flow, "bench", clock.now(), clock.now(), rates={})
        setup = time.perf_counter() - t0
        t0 = time.perf_counter()
        started = app.dispatcher.start_due()
        start_time = time.perf_counter() - t0
        with session_scope(app.engine) as session:
            opened = session.exec(
                select(func.count()).where(Conversation.state == ConversationState.ACTIVE)
            ).one()
        # The benchmark measures answers to open conversations, or it measures nothing.
        assert started == n and opened == n, f"only {opened} of {n} conversations opened"

        latencies: list[float] = []
        t0 = time.perf_counter()
        for round_, text in enumerate(ANSWERS):
            for i in range(n):
                inbound = Inbound(Channel.WHATSAPP, f"+1212{i:07d}", f"SM{round_}-{i}", text=text)
                s = time.perf_counter()
                app.intake.receive(inbound)
                latencies.append(time.perf_counter() - s)
        total = time.perf_counter() - t0

        # Baseline in the same run: the engine step alone, no storage.
        t0 = time.perf_counter()
        for i in range(n):
            convo = step(flow, Convo(locale="en-US"), Start("bench")).convo
            for round_, text in enumerate(ANSWERS):
                convo = step(
                    flow, convo, Inbound(Channel.WHATSAPP, "x", f"{i}-{round_}", text=text)
                ).convo
        pure = time.perf_counter() - t0

        with session_scope(app.engine) as session:
            positions = session.exec(
                select(Conversation.state, Conversation.position, func.count()).group_by(
                    Conversation.state, Conversation.position
                )
            ).all()
        # Every answer was taken as the answer to its question, in every conversation.
        expected = [(ConversationState.ACTIVE, len(ANSWERS), n)]
        assert [tuple(row) for row in positions] == expected, positions
        answers = len(latencies)
        latencies.sort()
        print(conditions("engine, end"))
        print(
            f"conversations: {n}  (setup {setup:.1f}s, {started} intros dispatched "
            f"in {start_time:.1f}s, {started / start_time:,.0f}/s)"
        )
        print(
            f"answers processed end to end: {answers} in {total:.1f}s "
            f"= {answers / total:,.0f} answers/s"
        )
        print(
            f"per answer: median {statistics.median(latencies) * 1000:.2f} ms, "
            f"p99 {latencies[int(answers * 0.99)] * 1000:.2f} ms"
        )
        print(
            f"engine step alone (baseline): {answers / pure:,.0f} answers/s; "
            f"storage costs x{(total / answers) / (pure / answers):.0f}"
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
