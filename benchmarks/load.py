"""Load test: a burst of signed WhatsApp webhooks from thousands of customers at once,
each sent twice as Twilio does when an acknowledgement is slow, checked afterwards.

    .venv/bin/python benchmarks/load.py [--customers 5000] [--in-flight 64]
        [--database-url postgresql+psycopg://.../EMPTY_DB] [--processes N]

Starts a real `postlive serve --no-worker` (SQLite in a temporary directory unless
--database-url names an EMPTY database) with a running campaign; every customer answers
the shipped survey (four answers) and writes once more after it is over, each webhook
sent twice: 10 webhooks per customer (50,000 for 5,000). Answers go out in waves
(everyone's first answer, then everyone's second...) because a person answers in order,
without waiting for handling between waves, as a platform would not.

Prints acknowledgements per second and p50/p99, how long until everything was handled,
and checks the database: every event stored once, every answer under the right
question, exactly one coupon per completed conversation. The side-by-side comparison
with a minimal app is `whatsapp_inbound.py`; both use the client in `webhooks.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.webhooks import (  # noqa: E402
    SURVEY,
    Fired,
    LagSampler,
    check,
    closed_loop,
    conditions,
    percentile,
    postlive_server,
    prepare,
    survey_waves,
)


async def run(
    n: int, in_flight: int, workdir: Path, database_url: str | None, processes: int
) -> None:
    database_url = database_url or f"sqlite:///{workdir / 'load.db'}"
    prepare(database_url, n)
    server = postlive_server(database_url, workdir, processes)
    sampler = LagSampler(database_url)
    steps = len(SURVEY) + 1  # and one message after the survey is over
    try:
        await server.ready()
        fired = Fired()
        cpu_before = server.cpu()
        started = time.perf_counter()
        for wave in survey_waves(server.url, n, steps):
            twice = [w for webhook in wave for w in (webhook, webhook)]  # Twilio's retry
            fired.add(await closed_loop(server.url, twice, in_flight))
        handled = await sampler.until_handled(n * steps)
        total = time.perf_counter() - started
        cpu = server.cpu() - cpu_before
    finally:
        server.stop()
        sampler.close()
    print(
        f"{fired.acked} signed webhooks ({n * steps} distinct) from {n} customers, "
        f"{in_flight} in flight, {processes} server process(es), {database_url.split(':')[0]}"
    )
    print(f"conditions: {conditions()}")
    print(
        f"acknowledged: {fired.acked / fired.wall:,.0f} webhooks/s while posting; "
        f"p50 {percentile(fired.latencies, 50) * 1000:.1f} ms, "
        f"p99 {percentile(fired.latencies, 99) * 1000:.1f} ms; failures {dict(fired.failures)}"
    )
    print(
        f"everything handled {total:.1f} s after the first webhook ({handled:.1f} s after "
        f"the last ack); server CPU {1000 * cpu / fired.acked:.2f} ms per webhook"
    )
    problems = check(database_url, n, n * steps)
    print("checks: " + ("ALL OK" if not problems else "PROBLEMS: " + "; ".join(problems)))
    if problems:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--in-flight", type=int, default=64)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--database-url", help="an EMPTY database instead of temporary SQLite")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="postlive-load-"))
    try:
        asyncio.run(run(args.customers, args.in_flight, workdir, args.database_url, args.processes))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
