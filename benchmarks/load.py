"""Load test: a burst of signed WhatsApp webhooks from thousands of customers at once.

    .venv/bin/python benchmarks/load.py [--customers 5000] [--concurrency 64]

Starts a real `postlive serve --no-worker` (uvicorn, SQLite in a temporary directory, or
--database-url for an EMPTY PostgreSQL database) with a running campaign, then every
customer answers the survey at once: four answers and one off-script message after the
survey is over, each sent twice as Twilio does when an acknowledgement is slow: 10
webhooks per customer (50,000 for 5,000 customers). Answers go out in waves
(everyone's first answer, then everyone's second...) because a person answers in order.

Prints throughput and p50/p99 latency of the acknowledgements, how long handling took
after the ack, and checks the database afterwards: every answer stored exactly once,
every completed conversation holding exactly one coupon, no webhook lost.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func
from sqlmodel import col, select
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.whatsapp_inbound import (  # noqa: E402
    ACCOUNT_SID,
    AUTH_TOKEN,
    SENDER,
    customer,
    fire,
    free_port,
    percentile,
    prepare,
    wait_handled,
    wait_ready,
)
from bot.db import make_engine, session_scope  # noqa: E402
from bot.models import Answer, Conversation, ConversationState, Coupon, InboundEvent  # noqa: E402

PATH = "/webhooks/whatsapp"
#: rating, product (first choice), problems ("none": no photo question), free text,
#: then a message after the survey is over (answered politely, stored, not an answer).
ANSWERS = ("5", "1", "1", "Loved the live, more evening shows please!", "thanks!")


def wave(base_url: str, n: int, step: int, text: str) -> list[tuple[dict[str, str], str]]:
    validator = RequestValidator(AUTH_TOKEN)
    payloads = []
    for i in range(n):
        sid = f"SM{step:04x}{i:028x}"
        form = {
            "MessageSid": sid,
            "SmsMessageSid": sid,
            "AccountSid": ACCOUNT_SID,
            "From": f"whatsapp:{customer(i)}",
            "To": SENDER,
            "Body": text,
            "NumMedia": "0",
            "ProfileName": f"Customer {i}",
            "WaId": customer(i).lstrip("+"),
        }
        signature = validator.compute_signature(base_url + PATH, form)
        payloads.append((form, signature))
        payloads.append((form, signature))  # Twilio's retry: must be stored once
    return payloads


async def run(n: int, concurrency: int, workdir: Path, database_url: str | None) -> None:
    database_url = database_url or f"sqlite:///{workdir / 'load.db'}"
    prepare(database_url, n)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PUBLIC_BASE_URL": url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_WHATSAPP_FROM": SENDER,
        "TWILIO_API_URL": "http://127.0.0.1:9",
        "MEDIA_DIR": str(workdir / "media"),
        "LOG_LEVEL": "WARNING",
    }
    postlive = Path(sys.executable).with_name("postlive")
    server = subprocess.Popen(  # noqa: S603 - our own CLI
        [str(postlive), "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)],
        cwd=workdir,
        env=env,
    )
    try:
        await wait_ready(url, "/healthz")
        latencies: list[float] = []
        posting = 0.0
        started = time.perf_counter()
        sent = 0
        for step, text in enumerate(ANSWERS):
            payloads = wave(url, n, step, text)
            # One connection per webhook, as Twilio sends them: on reused keep-alive
            # connections uvicorn may close one whose handling still runs after the ack.
            wall, lat = await fire(url, payloads, concurrency, keepalive=False)
            posting += wall
            latencies += lat
            sent += len(payloads)
            wait_handled(database_url, n * (step + 1), time.perf_counter(), limit=1800)
        total = time.perf_counter() - started
        print(
            f"{sent} signed webhooks from {n} customers, concurrency {concurrency}, "
            f"{make_engine(database_url).dialect.name}, one uvicorn process"
        )
        print(
            f"acknowledged: {sent / posting:,.0f} webhooks/s while posting; "
            f"p50 {percentile(latencies, 50) * 1000:.1f} ms, "
            f"p99 {percentile(latencies, 99) * 1000:.1f} ms"
        )
        print(
            f"everything handled (engine, answers, outbox rows) in {total:.1f} s: "
            f"{sent / total:,.0f} webhooks/s end to end"
        )
        check(database_url, n)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def check(database_url: str, n: int) -> None:
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        events = session.exec(select(func.count()).select_from(InboundEvent)).one()
        per_question = Counter(
            dict(
                session.execute(
                    select(Answer.question_id, func.count()).group_by(Answer.question_id)
                ).all()
            )
        )
        completed = session.exec(
            select(func.count())
            .select_from(Conversation)
            .where(Conversation.state == ConversationState.COMPLETED)
        ).one()
        coupons_per = Counter(
            n
            for (n,) in session.execute(
                select(func.count())
                .select_from(Coupon)
                .where(col(Coupon.conversation_id).is_not(None))
                .group_by(Coupon.conversation_id)
            ).all()
        )
        unhandled = session.exec(
            select(func.count()).select_from(InboundEvent).where(InboundEvent.status != "handled")
        ).one()
    engine.dispose()
    problems = []
    if events != 5 * n:
        problems.append(f"{events} inbound events stored for {5 * n} distinct messages")
    for question in ("overall", "product", "problems", "improve"):
        if per_question[question] != n:
            problems.append(f"{per_question[question]} answers to {question} for {n} customers")
    if completed != n:
        problems.append(f"{completed} of {n} conversations completed")
    if set(coupons_per) != {1} or sum(coupons_per.values()) != completed:
        problems.append(f"coupons per completed conversation: {dict(coupons_per)}")
    if unhandled:
        problems.append(f"{unhandled} events not handled")
    print(
        f"checks: {events} events stored once (duplicates ignored), answers per question "
        f"{dict(per_question)}, {completed} completed, coupons per conversation "
        f"{dict(coupons_per)}: "
        + ("ALL OK" if not problems else "PROBLEMS: " + "; ".join(problems))
    )
    if problems:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--database-url", help="an EMPTY database instead of temporary SQLite")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="postlive-load-"))
    try:
        asyncio.run(run(args.customers, args.concurrency, workdir, args.database_url))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
