"""The baseline the inbound benchmarks compare postlive with: the least a correct
Twilio webhook can do. It checks the signature, inserts one row (INSERT ... ON
CONFLICT DO NOTHING, the MessageSid unique) and answers an empty TwiML document.

    MINIMAL_DATABASE_URL=sqlite:///x.db MINIMAL_PUBLIC_URL=http://127.0.0.1:8001 \\
        python -m uvicorn benchmarks.minimal_app:app --port 8001
"""

from __future__ import annotations

import contextlib
import json
import os
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from twilio.request_validator import RequestValidator

from bot.db import make_engine

TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
PATH = "/webhooks/whatsapp"
AUTH_TOKEN = "benchmark-auth-token"

metadata = MetaData()
received = Table(
    "minimal_inbound",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sid", String(64), unique=True, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("received_at", DateTime(timezone=True)),
)
engine = make_engine(os.environ["MINIMAL_DATABASE_URL"])
with contextlib.suppress(DBAPIError):  # another worker process created it just now
    metadata.create_all(engine)
insert = postgresql_insert if engine.dialect.name == "postgresql" else sqlite_insert
validator = RequestValidator(AUTH_TOKEN)
url = os.environ["MINIMAL_PUBLIC_URL"] + PATH


def store(form: dict[str, str]) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(received)
            .values(sid=form["MessageSid"], payload=form, received_at=datetime.now(UTC))
            .on_conflict_do_nothing(index_elements=["sid"])
        )


async def webhook(request: Request) -> Response:
    form = dict(parse_qsl((await request.body()).decode()))
    if not validator.validate(url, form, request.headers.get("X-Twilio-Signature", "")):
        return PlainTextResponse("invalid signature", status_code=403)
    await run_in_threadpool(store, form)
    return Response(TWIML, media_type="text/xml")


async def health(_request: Request) -> Response:
    return Response(json.dumps({"status": "ok"}), media_type="application/json")


app = Starlette(routes=[Route(PATH, webhook, methods=["POST"]), Route("/healthz", health)])
