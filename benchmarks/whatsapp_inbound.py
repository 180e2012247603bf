"""Inbound at live-show scale: `postlive serve` beside a minimal app, in one run.

    .venv/bin/python benchmarks/whatsapp_inbound.py [--customers 1250] [--in-flight 64]
        [--rate 200] [--seconds 60] [--no-postgres] [--no-open-loop]

The minimal app (benchmarks/minimal_app.py) checks the Twilio signature, inserts one row
and answers empty TwiML: the least a correct webhook does. Both get the same client
(benchmarks/webhooks.py: one connection per request, like Twilio), the same signed
webhooks and the same customers answering the shipped survey (four answers each, in
order; the fourth completes it). Scenarios, each on a fresh database:

  closed loop, `--in-flight` requests at a time, on SQLite, on PostgreSQL with one
  server process and with two (`postlive serve --workers 2`, uvicorn workers for the
  minimal app): acknowledged webhooks/s, ack p50/p99, server CPU per webhook (the
  server's process tree, from /proc, from the first request until postlive has also
  HANDLED everything: ack + handling) and the ratio postlive / minimal;
  open loop on SQLite: `--rate` webhooks/s offered for `--seconds` whatever the
  answers, as Twilio does (15 s timeout): failures, ack p99 and how far handling lags
  behind arrival (sampled from the database every 0.25 s).

Afterwards postlive's database is checked: every event stored once, every answer under
the right question, exactly one coupon per completed conversation. PostgreSQL is a
throw-away server this program starts (as the `postgres` user when run as root).
Figures, not assertions: the machine's load is printed with them, and how busy its cores
were while each scenario fired (all processes, the client and PostgreSQL included).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.webhooks import (  # noqa: E402
    SURVEY,
    Fired,
    LagSampler,
    Server,
    busy_share,
    check,
    closed_loop,
    conditions,
    fresh_database,
    machine_ticks,
    minimal_server,
    open_loop,
    percentile,
    postlive_server,
    prepare,
    survey_waves,
    throwaway_postgres,
)


@dataclass
class Result:
    name: str
    fired: Fired
    cpu: float
    handled_after: float | None = None
    max_lag: float | None = None
    problems: list[str] | None = None
    machine_busy: float = 0.0
    client_cpu: float = 0.0

    @property
    def rate(self) -> float:
        return self.fired.acked / self.fired.wall if self.fired.wall else 0.0

    @property
    def cpu_per_webhook_ms(self) -> float:
        return 1000 * self.cpu / max(1, self.fired.acked)

    def line(self) -> str:
        f = self.fired
        failures = sum(f.failures.values())
        p50, p99 = percentile(f.latencies, 50) * 1e3, percentile(f.latencies, 99) * 1e3
        text = (
            f"  {self.name:<26} {self.rate:7.0f} acked/s  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms"
            f"  CPU {self.cpu_per_webhook_ms:5.2f} ms/webhook  failures {failures}"
            f"  machine busy {self.machine_busy:.0%}"
            f" (client {1000 * self.client_cpu / max(1, f.acked):.2f} ms/webhook)"
        )
        if f.failures:
            text += f" {dict(f.failures)}"
        if self.handled_after is not None:
            text += f"\n  {'':<26} all handled {self.handled_after:.1f} s after the first webhook"
        if self.max_lag is not None:
            text += f"; handling lag behind arrival: max {self.max_lag:.2f} s"
        if self.problems is not None:
            text += (
                "\n  "
                + " " * 26
                + " checks: "
                + (
                    "ALL OK (events once, answers in place, one coupon each)"
                    if not self.problems
                    else "PROBLEMS: " + "; ".join(self.problems)
                )
            )
        return text


async def measure(
    kind: str,
    database_url: str,
    workdir: Path,
    customers: int,
    *,
    processes: int = 1,
    in_flight: int = 64,
    rate: float | None = None,
) -> Result:
    """One server on a fresh database: prepare, fire the survey, measure, check."""
    prepare(database_url, customers)
    start = postlive_server if kind == "postlive" else minimal_server
    server: Server = start(database_url, workdir, processes)
    sampler = LagSampler(database_url) if kind == "postlive" else None
    try:
        await server.ready()
        waves = survey_waves(server.url, customers)
        webhooks = [w for wave in waves for w in wave]
        stop = asyncio.Event()
        sampling = asyncio.create_task(sampler.run(stop)) if sampler and rate else None
        cpu_before = server.cpu()
        ticks_before, client_before = machine_ticks(), time.process_time()
        started = time.perf_counter()
        if rate:
            fired = await open_loop(server.url, webhooks, rate)
        else:
            fired = await closed_loop(server.url, webhooks, in_flight)
        busy = busy_share(ticks_before, machine_ticks())
        client = time.process_time() - client_before
        handled_after = None
        if sampler is not None:
            # Only what was acknowledged was stored: a refused or timed-out webhook is
            # the platform's to retry, and is counted as a failure above.
            await sampler.until_handled(fired.acked)
            handled_after = time.perf_counter() - started
        cpu = server.cpu() - cpu_before
        stop.set()
        if sampling:
            await sampling
    finally:
        server.stop()
        if sampler:
            sampler.close()
    name = f"{kind}{f' x{processes}' if processes > 1 else ''}"
    result = Result(name, fired, cpu, handled_after, machine_busy=busy, client_cpu=client)
    if sampler is not None:
        result.problems = (
            check(database_url, customers, len(webhooks))
            if fired.acked == len(webhooks)
            else [f"{len(webhooks) - fired.acked} webhooks not acknowledged (see failures)"]
        )
        if rate:
            result.max_lag = max(sampler.samples, default=0.0)
    return result


def ratio(postlive: Result, minimal: Result) -> str:
    return (
        f"  ratio postlive / minimal: acked/s {postlive.rate / minimal.rate:.2f}; "
        f"CPU per webhook {postlive.cpu_per_webhook_ms / minimal.cpu_per_webhook_ms:.1f}x"
    )


async def run(args: argparse.Namespace, workdir: Path) -> None:
    n, in_flight = args.customers, args.in_flight
    print(f"{n} customers x {len(SURVEY)} answers = {n * len(SURVEY)} signed webhooks per server")
    print(f"conditions at start: {conditions()}")

    def sqlite(name: str) -> str:
        return f"sqlite:///{workdir / name}.db"

    if args.sqlite_closed:
        print(f"\nSQLite, closed loop, {in_flight} in flight, one connection per webhook")
        minimal = await measure("minimal", sqlite("m1"), workdir, n, in_flight=in_flight)
        print(minimal.line())
        postlive = await measure("postlive", sqlite("p1"), workdir, n, in_flight=in_flight)
        print(postlive.line())
        print(ratio(postlive, minimal))
        print(f"  {conditions()}")

    if args.postgres:
        with throwaway_postgres() as admin:
            for processes in args.postgres_processes:
                print(
                    f"\nPostgreSQL, closed loop, {in_flight} in flight, "
                    f"{processes} server process{'es' if processes > 1 else ''}"
                )
                minimal = await measure(
                    "minimal",
                    fresh_database(admin),
                    workdir,
                    n,
                    processes=processes,
                    in_flight=in_flight,
                )
                print(minimal.line())
                postlive = await measure(
                    "postlive",
                    fresh_database(admin),
                    workdir,
                    n,
                    processes=processes,
                    in_flight=in_flight,
                )
                print(postlive.line())
                print(ratio(postlive, minimal))
                print(f"  {conditions()}")

    if args.open_loop:
        total = int(args.rate * args.seconds)
        open_customers = max(1, total // len(SURVEY))
        print(
            f"\nSQLite, open loop: {args.rate:.0f} webhooks/s offered for {args.seconds:.0f} s "
            f"({open_customers} customers x {len(SURVEY)} answers), 15 s timeout"
        )
        for kind in ("minimal", "postlive"):
            result = await measure(
                kind, sqlite(f"open-{kind}"), workdir, open_customers, rate=args.rate
            )
            print(result.line())
            print(f"  {conditions()}")
    print(f"\nconditions at end: {conditions()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1250)
    parser.add_argument("--in-flight", type=int, default=64)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--no-postgres", dest="postgres", action="store_false")
    parser.add_argument("--no-sqlite-closed-loop", dest="sqlite_closed", action="store_false")
    parser.add_argument(
        "--postgres-processes",
        type=lambda text: [int(x) for x in text.split(",")],
        default=[1, 2],
        help="server processes to measure on PostgreSQL (default 1,2)",
    )
    parser.add_argument("--no-open-loop", dest="open_loop", action="store_false")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="postlive-inbound-bench-"))
    try:
        asyncio.run(run(args, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
