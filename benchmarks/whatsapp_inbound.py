"""WhatsApp webhook throughput: signed Twilio webhooks into a real `postlive serve`.

    .venv/bin/python benchmarks/whatsapp_inbound.py [--webhooks 2000] [--concurrency 32]
        [--database-url postgresql+psycopg://.../empty_db]

Starts `postlive serve --no-worker` (uvicorn, SQLite in a temporary directory) with a
running campaign: every webhook is a different customer answering the first question,
so each one is verified (X-Twilio-Signature), recorded once, acknowledged with empty
TwiML, then handled after the ack (engine step, answer stored, next question queued).
As a baseline measured in the same run, a trivial Starlette endpoint under uvicorn on
another port reads the same form and answers the same TwiML. Prints acknowledgements per
second and p50/p99 latency for both, the ratio, and how long until every webhook was
also handled. Figures, not assertions: compare runs on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import func
from sqlmodel import select
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import campaigns, coupons  # noqa: E402
from bot.bootstrap import build  # noqa: E402
from bot.clock import FrozenClock  # noqa: E402
from bot.db import make_engine, session_scope  # noqa: E402
from bot.models import AudienceMember, Contact, InboundEvent  # noqa: E402
from bot.settings import Settings  # noqa: E402

ACCOUNT_SID = "AC" + "b" * 32
AUTH_TOKEN = "benchmark-auth-token"
SENDER = "whatsapp:+14155238886"
PATH = "/webhooks/whatsapp"
TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(database_url: str, n: int) -> None:
    """A running campaign whose n customers each await the first question's answer."""
    clock = FrozenClock(datetime(2026, 11, 25, 1, 0, tzinfo=UTC))  # 20:00 in New York
    app = build(Settings(_env_file=None, database_url=database_url), clock=clock)  # type: ignore[call-arg]
    with session_scope(app.engine) as session:
        for i in range(n):
            contact = Contact(
                channel="whatsapp",
                address=customer(i),
                locale="en-US",
                country="US",
                timezone="America/New_York",
                consent=True,
            )
            session.add(contact)
            session.flush()
            session.add(AudienceMember(tag="bench", contact_id=contact.id))  # type: ignore[arg-type]
        coupons.generate(session, "post-live", n, prefix="B-")
        flow = app.flows["post-live"]
        # Everyone's intro at once (no spreading over the window): every webhook of the
        # run must find an open conversation.
        campaigns.start(
            session,
            flow,
            "bench",
            clock.now(),
            clock.now(),
            show="Bench Live",
            rates={"whatsapp": 1e9},
        )
    app.dispatcher.run_once()
    app.engine.dispose()


def customer(i: int) -> str:
    return f"+1212{i:07d}"


def forms(n: int, base_url: str) -> list[tuple[dict[str, str], str]]:
    """Webhook forms and their signatures, made before the clock starts."""
    validator = RequestValidator(AUTH_TOKEN)
    built = []
    for i in range(n):
        sid = f"SM{i:032x}"
        form = {
            "SmsMessageSid": sid,
            "NumMedia": "0",
            "ProfileName": f"Customer {i}",
            "MessageType": "text",
            "SmsSid": sid,
            "WaId": customer(i).lstrip("+"),
            "SmsStatus": "received",
            "Body": "5",
            "To": SENDER,
            "NumSegments": "1",
            "MessageSid": sid,
            "AccountSid": ACCOUNT_SID,
            "From": f"whatsapp:{customer(i)}",
            "ApiVersion": "2010-04-01",
        }
        built.append((form, validator.compute_signature(base_url + PATH, form)))
    return built


async def fire(
    base_url: str,
    payloads: list[tuple[dict[str, str], str]],
    concurrency: int,
    *,
    keepalive: bool = True,
) -> tuple[float, list[float]]:
    """POST every payload, `concurrency` at a time; wall time and per-request latencies.
    Without `keepalive` each request opens its own connection, as Twilio's webhooks do."""
    latencies: list[float] = []
    slots = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(
        max_connections=concurrency, max_keepalive_connections=concurrency if keepalive else 0
    )
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:

        async def one(form: dict[str, str], signature: str) -> None:
            async with slots:
                started = time.perf_counter()
                response = await client.post(
                    PATH, data=form, headers={"X-Twilio-Signature": signature}
                )
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200 or response.text != TWIML:
                    raise RuntimeError(f"{response.status_code}: {response.text[:200]}")

        started = time.perf_counter()
        await asyncio.gather(*(one(f, s) for f, s in payloads))
        return time.perf_counter() - started, latencies


async def wait_ready(base_url: str, path: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=2) as client:
        for _ in range(300):
            try:
                if (await client.get(path)).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{base_url} did not start")


def wait_handled(database_url: str, n: int, since: float, limit: float = 300) -> float:
    """Seconds from `since` until n inbound events are handled."""
    engine = make_engine(database_url)
    try:
        while time.perf_counter() - since < limit:
            with session_scope(engine) as session:
                done = session.exec(
                    select(func.count())
                    .select_from(InboundEvent)
                    .where(InboundEvent.status == "handled")
                ).one()
            if done >= n:
                return time.perf_counter() - since
            time.sleep(0.05)
        raise RuntimeError(f"only {done} of {n} webhooks handled after {limit}s")
    finally:
        engine.dispose()


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else 0


def describe(name: str, wall: float, latencies: list[float]) -> float:
    rate = len(latencies) / wall
    print(
        f"{name:<28} {rate:8.0f} webhooks/s   p50 {percentile(latencies, 50) * 1000:6.1f} ms"
        f"   p99 {percentile(latencies, 99) * 1000:6.1f} ms"
    )
    return rate


def baseline_server(port: int) -> None:
    """The baseline: a trivial Starlette endpoint that reads the form and acks."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def webhook(request: Request) -> Response:
        await request.form()
        return Response(TWIML, media_type="text/xml")

    async def health(_request: Request) -> Response:
        return Response("ok")

    web = Starlette(routes=[Route(PATH, webhook, methods=["POST"]), Route("/healthz", health)])
    uvicorn.run(web, host="127.0.0.1", port=port, log_level="warning", access_log=False)


async def run(n: int, concurrency: int, workdir: Path, database_url: str | None) -> None:
    database_url = database_url or f"sqlite:///{workdir / 'bench.db'}"
    prepare(database_url, n)
    port, base_port = free_port(), free_port()
    postlive_url, baseline_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{base_port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PUBLIC_BASE_URL": postlive_url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_WHATSAPP_FROM": SENDER,
        "TWILIO_API_URL": "http://127.0.0.1:9",  # nothing is sent: no worker runs
        "MEDIA_DIR": str(workdir / "media"),
        "LOG_LEVEL": "WARNING",
    }
    postlive = Path(sys.executable).with_name("postlive")
    command = [str(postlive), "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)]
    servers = [
        subprocess.Popen(command, cwd=workdir, env=env),  # noqa: S603 - our own CLI
        subprocess.Popen(  # noqa: S603 - this very file
            [sys.executable, __file__, "--baseline-server", str(base_port)], cwd=workdir
        ),
    ]
    try:
        await wait_ready(postlive_url, "/healthz")
        await wait_ready(baseline_url, "/healthz")
        payloads = forms(n, postlive_url)
        warm = forms(concurrency, baseline_url)
        await fire(baseline_url, warm, concurrency)

        base_wall, base_latencies = await fire(baseline_url, forms(n, baseline_url), concurrency)
        started = time.perf_counter()
        wall, latencies = await fire(postlive_url, payloads, concurrency)
        handled = wait_handled(database_url, n, started)

        database = make_engine(database_url).dialect.name
        print(f"{n} signed webhooks, concurrency {concurrency}, {database}, one uvicorn each")
        base_rate = describe("baseline (trivial Starlette)", base_wall, base_latencies)
        rate = describe("postlive /webhooks/whatsapp", wall, latencies)
        print(f"{'ratio postlive / baseline':<28} {rate / base_rate:8.2f}")
        print(
            f"{'handled (after the ack)':<28} {n / handled:8.0f} webhooks/s   "
            f"all {n} handled {handled:.2f} s after the first was sent"
        )
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webhooks", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--database-url", help="an EMPTY database to use instead of a temporary SQLite file"
    )
    parser.add_argument("--baseline-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_server:
        baseline_server(args.baseline_server)
        return
    workdir = Path(tempfile.mkdtemp(prefix="postlive-wa-bench-"))
    try:
        asyncio.run(run(args.webhooks, args.concurrency, workdir, args.database_url))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
