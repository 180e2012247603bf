"""How close `coupons sync` keeps to Shopify's cost-based rate limit for a large pool.

    .venv/bin/python benchmarks/shopify_codes.py [--codes 20000] [--restore 50] [--bucket 1000]

Creates a pool of N codes in a local fake of the Shopify Admin GraphQL API that enforces
the documented limits (250 codes per discountRedeemCodeBulkAdd, a cost bucket with
throttleStatus, THROTTLED answers), with the bucket's clock simulated: the client's
sleeps advance it, so the run takes only the local work, and the simulated time is
what the same run would take against a store with that bucket.

Prints: simulated seconds against the baseline of the same run (the points it spent
divided by the restore rate, minus the full bucket it started with: no client can do
better), THROTTLED answers, calls, per-call local latency (median, p99), and the wall
time of the local work, with the machine's load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.shopify import AdminClient, ShopifyCoupons  # noqa: E402
from bot import coupons, shop  # noqa: E402
from bot.bootstrap import build  # noqa: E402
from bot.clock import FrozenClock  # noqa: E402
from bot.coupons import ShopState  # noqa: E402
from bot.db import session_scope  # noqa: E402
from bot.offers import Offer, OfferKind  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.integration.shopify.fake_shopify import (  # noqa: E402
    TOKEN,
    VERSION,
    FakeShopify,
    FakeTime,
    serve,
)


class TimedTransport:
    """Wraps the client's HTTP calls to record each one's local latency."""

    def __init__(self, client: AdminClient) -> None:
        self.latencies: list[float] = []
        original = client.execute

        def timed(*args: object, **kwargs: object) -> dict[str, object]:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)  # type: ignore[arg-type]
            finally:
                self.latencies.append(time.perf_counter() - started)

        client.execute = timed  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--codes", type=int, default=20_000)
    parser.add_argument("--restore", type=float, default=50.0)
    parser.add_argument("--bucket", type=float, default=1000.0)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="postlive-bench-"))
    fake_time = FakeTime()
    store = FakeShopify(
        fake_time, maximum=args.bucket, restore_rate=args.restore, available=args.bucket
    )
    server, url = serve(store)
    try:
        settings = Settings(_env_file=None, database_url=f"sqlite:///{workdir / 'b.db'}")  # type: ignore[call-arg]
        app = build(settings, clock=FrozenClock(datetime(2026, 11, 25, tzinfo=UTC)))
        with session_scope(app.engine) as session:
            coupons.create_pool(
                session,
                "bench",
                Offer(OfferKind.PERCENT, Decimal(10), "EUR"),
                expires_at=None,
                now=app.clock.now(),
            )
            coupons.generate(session, "bench", args.codes, shop_state=ShopState.PENDING)
        client = AdminClient(
            shop="bench.myshopify.com",
            token=TOKEN,
            api_version=VERSION,
            api_url=url,
            sleep=fake_time.sleep,
            monotonic=fake_time.monotonic,
        )
        timer = TimedTransport(client)
        started = time.perf_counter()
        report = shop.sync(app.engine, ShopifyCoupons(client), "bench", app.clock.now())
        wall = time.perf_counter() - started
        spent = store.spent
        baseline = max(0.0, (spent - args.bucket) / args.restore)
        lat = sorted(timer.latencies)
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        print(f"codes created: {report.created} in {report.batches} batches")
        print(f"THROTTLED answers: {store.throttled}; oversized calls: {store.oversized}")
        print(
            f"simulated store time: {fake_time.now:.1f} s; baseline (points spent {spent:.0f} "
            f"- bucket {args.bucket:.0f}) / restore {args.restore:.0f}/s = {baseline:.1f} s; "
            f"ratio {fake_time.now / baseline if baseline else float('nan'):.3f}"
        )
        print(
            f"calls: {client.stats.calls}; local latency per call: median "
            f"{statistics.median(lat) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms"
        )
        print(f"local wall time: {wall:.1f} s")
        print(f"conditions: loadavg {os.getloadavg()}, cpu_count {os.cpu_count()}")
        app.engine.dispose()
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
