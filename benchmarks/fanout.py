"""Delivery at scale: planning a campaign, draining the outbox, memory as it grows.

    .venv/bin/python benchmarks/fanout.py plan   [--recipients 100000] [--runs 3]
    .venv/bin/python benchmarks/fanout.py drain  [--messages 20000] [--rate 200] [--beside-cpu 1]
    .venv/bin/python benchmarks/fanout.py memory [--sizes 10000,50000,100000]
    .venv/bin/python benchmarks/fanout.py all
    (each takes --database-url URL, or POSTLIVE_BENCH_DATABASE_URL, for PostgreSQL)

plan    `bot.campaigns.start` for an audience spread over eleven markets (some without a
        time zone, inferred from the phone number; some without WhatsApp consent, planned
        as skipped): wall time, recipients per second, and CPU time (this process's and,
        on a local PostgreSQL, the server process's). Asserts that every recipient got
        a conversation and that the plan went set-based (one INSERT ... SELECT).
        Target: 100,000 in under 5 s. --runs N repeats it and prints the medians.
drain   the outbox worker (`bot.worker.OutboxWorker`, the real rate limiter, claims and
        per-message commits) sends N messages to a local provider process that enforces
        `--rate` messages per second (a token bucket with one second of burst, 429 beyond
        it). Prints the achieved rate against the allowed one, 429s and duplicates.
        Target: at least 95 % of the allowed rate, no 429, no duplicate. With
        --beside-cpu N the benchmark starts N CPU-bound processes of its own for the run.
        Also prints the residual window of a channel that cannot be asked (Telegram):
        how long each send stayed accepted-but-unrecorded (the call's answer to our
        commit), the gap in which a crash makes that channel repeat a message.
memory  peak RSS of a fresh process that plans and then dispatches (engine step + outbox
        row per conversation) campaigns of growing size: flat means constant memory per
        campaign, not per recipient.

Without --database-url each run uses a new SQLite file; with a PostgreSQL server URL
(postgresql+psycopg://user@host:port/postgres) each run creates and drops its own
database there. No assertions on time: these print figures (beside the load average and
CPU count they ran under).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from benchmarks.conditions import busy, conditions  # noqa: E402
from bot import campaigns, outbox  # noqa: E402
from bot.audience import ANALYZE_AFTER  # noqa: E402
from bot.bootstrap import App, build  # noqa: E402
from bot.clock import FrozenClock  # noqa: E402
from bot.db import session_scope  # noqa: E402
from bot.delivery import Sender  # noqa: E402
from bot.messages import Channel, Outbound  # noqa: E402
from bot.models import AudienceMember, Contact, Conversation, Outbox, OutboxStatus  # noqa: E402
from bot.ratelimit import Limit, RateLimiter  # noqa: E402
from bot.settings import Settings  # noqa: E402

#: (country, zone, locale, phone prefix): the markets of a US evening and a SEA show.
MARKETS = [
    ("US", "America/New_York", "en-US", "+1212"),
    ("US", "America/Los_Angeles", "en-US", "+1415"),
    ("JP", "Asia/Tokyo", "ja", "+8190"),
    ("DE", "Europe/Berlin", "de", "+49151"),
    ("ID", "Asia/Jakarta", "id", "+62812"),
    ("TH", "Asia/Bangkok", "th", "+66812"),
    ("VN", "Asia/Ho_Chi_Minh", "vi", "+84912"),
    ("BR", "America/Sao_Paulo", "pt-BR", "+55119"),
    ("MX", "America/Mexico_City", "es-MX", "+52155"),
    ("FR", "Europe/Paris", "fr", "+33612"),
    ("SA", "Asia/Riyadh", "ar", "+96650"),
]
START = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)  # 03:00 in Tokyo, 13:00 in New York


@contextmanager
def database(server: str | None) -> Iterator[str]:
    """A new empty database: a SQLite file, or one created on the PostgreSQL server."""
    if not server:
        workdir = Path(tempfile.mkdtemp(prefix="postlive-fanout-"))
        try:
            yield f"sqlite:///{workdir / 'fanout.db'}"
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{server.rpartition('/')[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_app(url: str, senders: Mapping[str, Sender] | None = None, **settings: object) -> App:
    config = Settings(_env_file=None, database_url=url, **settings)  # type: ignore[call-arg]
    return build(config, clock=FrozenClock(START), senders=senders)


def seed(app: App, recipients: int, tag: str = "show") -> None:
    """An imported audience: bulk rows, as `postlive audience import` leaves them."""
    chunk = 5000
    with session_scope(app.engine) as session:
        first = session.execute(select(func.coalesce(func.max(Contact.id), 0))).scalar_one()
        for start in range(0, recipients, chunk):
            contacts, members = [], []
            for i in range(start, min(recipients, start + chunk)):
                country, tz, locale, prefix = MARKETS[i % len(MARKETS)]
                contacts.append(
                    {
                        "id": first + i + 1,
                        "channel": "whatsapp" if i % 4 else "telegram",
                        "address": f"{prefix}{i:07d}" if i % 4 else str(10**9 + i),
                        "locale": locale,
                        "country": country,
                        # One in twenty has no zone: inferred from the number at planning.
                        "timezone": None if i % 20 == 7 else tz,
                        "consent": i % 25 != 3,  # a few without WhatsApp opt-in: skipped
                        "created_at": START,
                    }
                )
                members.append({"tag": tag, "contact_id": first + i + 1, "source": "bench"})
            session.execute(insert(Contact), contacts)
            session.execute(insert(AudienceMember), members)
    if app.engine.dialect.name == "postgresql":
        with app.engine.connect() as conn:
            conn.execute(text("SELECT setval('contact_id_seq', (SELECT max(id) FROM contact))"))
            if recipients >= ANALYZE_AFTER:  # as `audience import` does
                conn.execute(text("ANALYZE contact, audiencemember"))
            conn.commit()


class _PlanPath(logging.Handler):
    """Records how `campaigns.start` stored the plan (set-based or contact by contact)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def plan(url: str, recipients: int) -> dict[str, float]:
    app = make_app(url)
    seed(app, recipients)
    flow = app.flows["post-live"]
    path = _PlanPath()
    logger = logging.getLogger("bot.campaigns")
    logger.addHandler(path)
    logger.setLevel(logging.INFO)
    with session_scope(app.engine) as session:
        backend = _backend(session)
        server_cpu = _cpu_of(backend)
        started, cpu = time.perf_counter(), time.process_time()
        campaign = campaigns.start(session, flow, "show", START, START, show="Winter Knits")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    server_cpu = _cpu_of(backend) - server_cpu
    logger.removeHandler(path)
    with session_scope(app.engine) as session:
        planned, skipped = session.execute(
            select(func.count(), func.count(Conversation.skip_reason)).where(
                Conversation.campaign_id == campaign.id
            )
        ).one()
    app.engine.dispose()
    # The benchmark measures what it names: every recipient planned, set-based.
    assert planned == recipients, f"planned {planned} conversations for {recipients} contacts"
    assert path.messages == [f"campaign {campaign.id} planned set-based"], path.messages
    return {
        "recipients": planned,
        "skipped": skipped,
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "server_cpu_seconds": server_cpu,
        "per_second": planned / elapsed,
    }


def _backend(session: Session) -> int | None:
    """The PostgreSQL server process serving this session, when it runs on this machine."""
    if session.connection().dialect.name != "postgresql":
        return None
    pid = int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())
    return pid if Path(f"/proc/{pid}/stat").exists() else None


def _cpu_of(pid: int | None) -> float:
    """CPU seconds (user + system) a process has used so far; 0 when not known."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- drain ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def queue(app: App, messages: int) -> None:
    now = START - timedelta(seconds=1)
    with session_scope(app.engine) as session:
        for i in range(messages):
            message = Outbound(Channel.WHATSAPP, f"+1212{i:07d}", f"Hi {i}, how was the show?")
            outbox.enqueue(session, f"bench:{i}", message, kind="intro:overall", now=now)


def drain(url: str, messages: int, rate: float, concurrency: int) -> dict[str, float]:
    from bot.worker import OutboxWorker
    from tests.integration.scale.provider import HttpSender

    port = free_port()
    sender = HttpSender(f"http://127.0.0.1:{port}")
    app = make_app(url, senders={"whatsapp": sender})
    queue(app, messages)
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "tests/integration/scale/provider.py"), "--port", str(port)]
        + ["--rate", str(rate)],
    )
    try:
        _wait_listening(port)
        limiter = RateLimiter({"whatsapp": Limit(rate=rate)})

        lags: list[float] = []

        async def run() -> float:
            worker = OutboxWorker(app, limiter=limiter, concurrency=concurrency)
            stop = asyncio.Event()
            task = asyncio.create_task(worker.run(stop, poll=0.05))
            started = time.perf_counter()
            while worker.report.sent < messages and not task.done():
                await asyncio.sleep(0.01)
            elapsed = time.perf_counter() - started
            stop.set()
            await task
            await sender.aclose()
            lags.extend(worker.delivery.unrecorded)
            return elapsed

        elapsed = asyncio.run(run())
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats") as response:  # noqa: S310
            stats = json.load(response)
    finally:
        server.terminate()
        server.wait(10)
    with session_scope(app.engine) as session:
        sent = session.execute(
            select(func.count()).where(Outbox.status == OutboxStatus.SENT)
        ).scalar_one()
    app.engine.dispose()
    window = (stats["last"] - stats["first"]) or elapsed
    achieved = (stats["unique"] - 1) / window if stats["unique"] > 1 else 0.0
    return {
        "messages": messages,
        "allowed_rate": rate,
        "achieved_rate": achieved,
        "of_allowed": achieved / rate,
        "seconds": elapsed,
        "rows_sent": sent,
        "received": stats["received"],
        "duplicates": stats["duplicates"],
        "rejected_429": stats["rejected_429"],
        **_window(lags),
    }


def _window(lags: list[float]) -> dict[str, float]:
    """Median, p99 and max of the accepted-but-unrecorded gap, in milliseconds."""
    if not lags:
        return {"window_median_ms": 0.0, "window_p99_ms": 0.0, "window_max_ms": 0.0}
    ordered = sorted(lags)
    return {
        "window_median_ms": statistics.median(ordered) * 1000,
        "window_p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        "window_max_ms": ordered[-1] * 1000,
        "window_mean_ms": statistics.fmean(ordered) * 1000,
    }


def _wait_listening(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("the provider did not start")


# -- memory --------------------------------------------------------------------------


def grow(url: str, recipients: int) -> dict[str, float]:
    """Plan and dispatch one campaign in this (fresh) process; report its peak RSS."""
    app = make_app(url)
    seed(app, recipients)
    baseline = _peak_rss_mb()
    with session_scope(app.engine) as session:
        campaigns.start(session, app.flows["post-live"], "show", START, START)
    after_plan = _peak_rss_mb()
    # The next 30 hours in 15-minute steps: every market's evening comes, its intros are
    # started (engine step + outbox row each) as the scheduler's dispatch job would.
    stepped, dispatch_seconds = 0, 0.0
    for step in range(1, 121):
        app.clock.set(START + timedelta(minutes=15 * step))  # type: ignore[attr-defined]
        started = time.perf_counter()
        stepped += app.dispatcher.start_due()
        dispatch_seconds += time.perf_counter() - started
    return {
        "recipients": recipients,
        "rss_after_seed_mb": baseline,
        "rss_peak_plan_mb": after_plan,
        "rss_peak_dispatch_mb": _peak_rss_mb(),
        "dispatched": stepped,
        "dispatch_per_second": stepped / dispatch_seconds if dispatch_seconds else 0.0,
    }


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def in_fresh_process(command: str, *args: str) -> dict[str, float]:
    """Peak RSS is per process: each size gets its own."""
    output = subprocess.run(
        [sys.executable, __file__, command, "--json", *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ},
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


# -- main ----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["plan", "drain", "memory", "all", "_grow"])
    parser.add_argument("--database-url", default=os.environ.get("POSTLIVE_BENCH_DATABASE_URL"))
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1, help="plan: repeat, print the median")
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--beside-cpu", type=int, default=0, help="run beside this many CPU-bound processes"
    )
    parser.add_argument("--sizes", default="10000,50000,100000")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    engine_name = "PostgreSQL" if args.database_url else "SQLite"

    if args.command == "_grow":
        with database(args.database_url) as url:
            print(json.dumps(grow(url, args.recipients)))
        return
    if args.command in ("plan", "all"):
        runs = []
        for _ in range(args.runs):
            with database(args.database_url) as url:
                print(conditions("plan, before"))
                r = plan(url, args.recipients)
                print(conditions("plan, after"))
            runs.append(r)
            server = (
                f", the server process's {r['server_cpu_seconds']:.2f} s"
                if r["server_cpu_seconds"]
                else ""
            )
            print(
                f"plan [{engine_name}]: {r['recipients']:,.0f} recipients "
                f"({r['skipped']:,.0f} skipped) planned set-based in {r['seconds']:.2f} s "
                f"({r['per_second']:,.0f}/s; target < 5 s for 100,000); CPU time: this "
                f"process's {r['cpu_seconds']:.2f} s{server} (what the plan costs, "
                f"whatever else runs)"
            )
        if len(runs) > 1:
            print(
                f"plan [{engine_name}] median of {len(runs)}: "
                f"{statistics.median(r['seconds'] for r in runs):.2f} s wall, "
                f"{statistics.median(r['cpu_seconds'] + r['server_cpu_seconds'] for r in runs):.2f}"
                f" s CPU (ours + server's)"
            )
    if args.command in ("drain", "all"):
        with database(args.database_url) as url, busy(args.beside_cpu) as beside:
            print(conditions(f"drain {beside}, before"))
            r = drain(url, args.messages, args.rate, args.concurrency)
            print(conditions(f"drain {beside}, after"))
        print(
            f"drain [{engine_name}, {beside}]: {r['messages']:,.0f} messages at "
            f"{r['achieved_rate']:.1f}/s of {r['allowed_rate']:.0f}/s allowed "
            f"({r['of_allowed']:.1%}; target >= 95%), "
            f"{r['rejected_429']} x 429, {r['duplicates']} duplicates, "
            f"{r['rows_sent']:,.0f} rows sent, {r['seconds']:.1f} s"
        )
        print(
            f"residual window [{engine_name}, {beside}] (provider's answer -> our commit; "
            f"a crash inside it repeats the message on a channel that cannot be asked, "
            f"i.e. Telegram): median {r['window_median_ms']:.2f} ms, "
            f"p99 {r['window_p99_ms']:.2f} ms, max {r['window_max_ms']:.2f} ms; "
            f"at {r['allowed_rate']:.0f} messages/s a crash finds on average "
            f"{r['allowed_rate'] * r.get('window_mean_ms', 0.0) / 1000:.2f} sent messages "
            f"unrecorded, plus the calls whose answer was still on the way"
        )
    if args.command in ("memory", "all"):
        print(conditions("memory"))
        extra = ["--database-url", args.database_url] if args.database_url else []
        for size in (int(s) for s in args.sizes.split(",")):
            r = in_fresh_process("_grow", "--recipients", str(size), *extra)
            print(
                f"memory [{engine_name}]: {size:>7,} recipients: peak RSS "
                f"{r['rss_after_seed_mb']:.0f} MB after seeding, "
                f"{r['rss_peak_plan_mb']:.0f} MB planning, "
                f"{r['rss_peak_dispatch_mb']:.0f} MB dispatching "
                f"({r['dispatch_per_second']:,.0f} conversations/s)"
            )


if __name__ == "__main__":
    main()
