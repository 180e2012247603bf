"""What the inbound benchmarks share: customers answering the shipped survey over
signed Twilio webhooks, the one client that posts them (one connection per request, as
Twilio does; closed or open loop), the servers under test, their CPU time, a throw-away
PostgreSQL, and the checks run on the database afterwards.

Not a benchmark itself: `whatsapp_inbound.py` (postlive beside a minimal app) and
`load.py` (a burst with Twilio's retries, checked) use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx
from sqlalchemy import func, text
from sqlmodel import col, select
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import campaigns, coupons  # noqa: E402
from bot.bootstrap import build  # noqa: E402
from bot.clock import FrozenClock  # noqa: E402
from bot.db import make_engine, reading, session_scope  # noqa: E402
from bot.models import (  # noqa: E402
    Answer,
    AudienceMember,
    Contact,
    Conversation,
    ConversationState,
    Coupon,
    InboundEvent,
)
from bot.settings import Settings  # noqa: E402

ACCOUNT_SID = "AC" + "b" * 32
AUTH_TOKEN = "benchmark-auth-token"
SENDER = "whatsapp:+14155238886"
PATH = "/webhooks/whatsapp"
TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
#: The shipped survey answered: rating, product (first choice), problems (first choice,
#: "none": no photo question), free text. The fourth completes it: coupon + thank-you.
SURVEY = ("5", "1", "1", "Loved the live, more evening shows please!")
QUESTIONS = ("overall", "product", "problems", "improve")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def customer(i: int) -> str:
    return f"+1212{i:07d}"


def machine_ticks() -> tuple[int, int]:
    """(busy, all) CPU ticks of the whole machine so far, from /proc/stat: whether a
    scenario had cores to spare, whoever used them."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    busy, total = after[0] - before[0], after[1] - before[1]
    return busy / total if total else 0.0


def conditions() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"load average {load}; {os.cpu_count()} CPUs"


# -- the audience ---------------------------------------------------------------------------


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
        # Everyone's intro at once (no spreading over the window): every webhook of the
        # run must find an open conversation.
        campaigns.start(
            session,
            app.flows["post-live"],
            "bench",
            clock.now(),
            clock.now(),
            show="Bench Live",
            rates={"whatsapp": 1e9},
        )
    app.dispatcher.run_once()
    app.engine.dispose()


Webhook = tuple[dict[str, str], str]


def answer(base_url: str, i: int, step: int, validator: RequestValidator) -> Webhook:
    """Customer i's answer number `step`, signed for `base_url`."""
    sid = f"SM{step:04x}{i:028x}"
    form = {
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ProfileName": f"Customer {i}",
        "MessageType": "text",
        "SmsSid": sid,
        "WaId": customer(i).lstrip("+"),
        "SmsStatus": "received",
        "Body": SURVEY[step % len(SURVEY)] if step < len(SURVEY) else "thanks!",
        "To": SENDER,
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": f"whatsapp:{customer(i)}",
        "ApiVersion": "2010-04-01",
    }
    return form, validator.compute_signature(base_url + PATH, form)


def survey_waves(base_url: str, n: int, steps: int = len(SURVEY)) -> list[list[Webhook]]:
    """Everyone's first answer, then everyone's second...: a person answers in order."""
    validator = RequestValidator(AUTH_TOKEN)
    return [[answer(base_url, i, step, validator) for i in range(n)] for step in range(steps)]


# -- the client -----------------------------------------------------------------------------


@dataclass
class Fired:
    latencies: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    wall: float = 0.0

    @property
    def acked(self) -> int:
        return len(self.latencies)

    def add(self, other: Fired) -> None:
        self.latencies += other.latencies
        self.failures.update(other.failures)
        self.wall += other.wall


class _Refused(Exception):
    """The server answered something other than 200 and empty TwiML."""


def _request(host: str, webhook: Webhook) -> bytes:
    """The webhook as Twilio sends it, one request per connection, encoded beforehand."""
    form, signature = webhook
    body = urlencode(form).encode()
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: {host}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\nX-Twilio-Signature: {signature}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body


def _check(response: bytes) -> None:
    head, _, body = response.partition(b"\r\n\r\n")
    status = head.split(b" ", 2)[1:2]
    if status != [b"200"]:
        raise _Refused(f"HTTP {status[0].decode() if status else '?'}")
    if b"transfer-encoding: chunked" in head.lower():
        body = _unchunked(body)
    if body.decode() != TWIML:
        raise _Refused("HTTP 200 without the empty TwiML")


def _unchunked(body: bytes) -> bytes:
    out = b""
    while body:
        size, _, rest = body.partition(b"\r\n")
        n = int(size.split(b";")[0], 16)
        if n == 0:
            break
        out, body = out + rest[:n], rest[n + 2 :]
    return out


async def _post(address: tuple[str, int], request: bytes, fired: Fired, *, timeout: float) -> None:
    """One webhook on its own connection: the latency is from connecting to the whole
    answer read. A bare asyncio client, so that the load generator costs a fraction of
    what the servers it measures cost on the same two cores (httpx cost 3 ms per
    webhook, as much as postlive itself)."""
    started = time.perf_counter()
    writer = None
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(*address)
            writer.write(request)
            response = await reader.read()  # to the end: the server closes
        _check(response)
    except TimeoutError:
        fired.failures["timeout"] += 1
        return
    except _Refused as exc:
        fired.failures[str(exc)] += 1
        return
    except OSError as exc:
        fired.failures[type(exc).__name__] += 1
        return
    finally:
        if writer is not None:
            writer.close()
    fired.latencies.append(time.perf_counter() - started)


def _target(base_url: str, webhooks: list[Webhook]) -> tuple[tuple[str, int], list[bytes]]:
    url = urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    return (host, port), [_request(f"{host}:{port}", webhook) for webhook in webhooks]


async def closed_loop(
    base_url: str, webhooks: list[Webhook], in_flight: int, timeout: float = 60
) -> Fired:
    """POST every webhook, `in_flight` at a time."""
    fired = Fired()
    address, requests = _target(base_url, webhooks)
    queue = iter(requests)

    async def lane() -> None:
        for request in queue:
            await _post(address, request, fired, timeout=timeout)

    started = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(in_flight)))
    fired.wall = time.perf_counter() - started
    return fired


async def open_loop(
    base_url: str, webhooks: list[Webhook], rate: float, timeout: float = 15
) -> Fired:
    """POST webhooks at `rate` per second whatever the answers, as a platform does:
    a slow acknowledgement does not slow the arrivals. A request not answered within
    `timeout` seconds (Twilio's 15 s) is a failure."""
    fired = Fired()
    tasks: set[asyncio.Task[None]] = set()
    address, requests = _target(base_url, webhooks)
    started = time.perf_counter()
    for k, request in enumerate(requests):
        delay = started + k / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(_post(address, request, fired, timeout=timeout))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    fired.wall = time.perf_counter() - started
    return fired


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


# -- servers --------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and all its descendants, from /proc."""
    total = 0.0
    for proc in _tree(pid):
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            fields = Path(f"/proc/{proc}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


def _tree(pid: int) -> Iterator[int]:
    yield pid
    with contextlib.suppress(FileNotFoundError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(FileNotFoundError):
                for child in (task / "children").read_text().split():
                    yield from _tree(int(child))


class Server:
    """A server process under test, stopped on exit."""

    def __init__(self, command: list[str], env: dict[str, str], cwd: Path, url: str) -> None:
        self.url = url
        self.process = subprocess.Popen(command, cwd=cwd, env=env)  # noqa: S603

    def cpu(self) -> float:
        return cpu_seconds(self.process.pid)

    async def ready(self) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as client:
            for _ in range(1800):  # a busy machine starts `--workers N` slowly
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.url}: server exited {self.process.returncode}")
                try:
                    if (await client.get("/healthz")).status_code < 500:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.url} did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def postlive_server(database_url: str, workdir: Path, processes: int = 1) -> Server:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PUBLIC_BASE_URL": url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_WHATSAPP_FROM": SENDER,
        "TWILIO_API_URL": "http://127.0.0.1:9",  # nothing is sent: no outbox worker runs
        "MEDIA_DIR": str(workdir / "media"),
        "LOG_LEVEL": "WARNING",
    }
    postlive = Path(sys.executable).with_name("postlive")
    command = [str(postlive), "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)]
    if processes > 1:
        command += ["--workers", str(processes)]
    return Server(command, env, workdir, url)


def minimal_server(database_url: str, workdir: Path, processes: int = 1) -> Server:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "MINIMAL_DATABASE_URL": database_url, "MINIMAL_PUBLIC_URL": url}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "benchmarks.minimal_app:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--workers",
        str(processes),
    ]
    env["PYTHONPATH"] = str(ROOT)
    return Server(command, env, workdir, url)


# -- the database ---------------------------------------------------------------------------


def handled_count(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with reading(engine) as conn:
            return conn.execute(
                select(func.count())
                .select_from(InboundEvent)
                .where(col(InboundEvent.status) == "handled")
            ).scalar_one()
    finally:
        engine.dispose()


class LagSampler:
    """How far handling lags behind arrival, sampled from the database: the age of the
    oldest event not yet handled."""

    def __init__(self, database_url: str, every: float = 0.25) -> None:
        self.engine = make_engine(database_url)
        self.every = every
        self.samples: list[float] = []

    def sample(self) -> tuple[int, float]:
        # Reading only: on SQLite the observer must not take the write lock it observes.
        with reading(self.engine) as conn:
            waiting, oldest = conn.execute(
                select(func.count(), func.min(InboundEvent.received_at)).where(
                    col(InboundEvent.status) == "received"
                )
            ).one()
        if oldest is None:
            return 0, 0.0
        if oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        return waiting, max(0.0, (datetime.now(UTC) - oldest).total_seconds())

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            _, lag = await asyncio.to_thread(self.sample)
            self.samples.append(lag)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.every)

    async def until_handled(self, expected: int, limit: float = 1800) -> float:
        """Seconds until `expected` events are handled."""
        started = time.perf_counter()
        while time.perf_counter() - started < limit:
            if await asyncio.to_thread(handled_count, str(self.engine.url)) >= expected:
                return time.perf_counter() - started
            await asyncio.sleep(0.05)
        raise RuntimeError(f"not all {expected} events handled after {limit} s")

    def close(self) -> None:
        self.engine.dispose()


def check(database_url: str, n: int, messages: int, answered: int = len(SURVEY)) -> list[str]:
    """Every event stored once, every answer under the right question, exactly one
    coupon per completed conversation; the problems found (empty: all good)."""
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        events = session.exec(select(func.count()).select_from(InboundEvent)).one()
        unhandled = session.exec(
            select(func.count())
            .select_from(InboundEvent)
            .where(col(InboundEvent.status) != "handled")
        ).one()
        answers = session.execute(select(Answer.question_id, Answer.raw_text)).all()
        completed = session.exec(
            select(func.count())
            .select_from(Conversation)
            .where(Conversation.state == ConversationState.COMPLETED)
        ).one()
        coupons_per = Counter(
            count
            for (count,) in session.execute(
                select(func.count())
                .select_from(Coupon)
                .where(col(Coupon.conversation_id).is_not(None))
                .group_by(Coupon.conversation_id)
            ).all()
        )
    engine.dispose()
    expected = dict(zip(QUESTIONS[:answered], SURVEY[:answered], strict=True))
    per_question = Counter(question for question, _ in answers)
    misplaced = sum(1 for question, raw in answers if expected.get(question) != raw)
    problems = []
    if events != messages:
        problems.append(f"{events} inbound events stored for {messages} distinct messages")
    if unhandled:
        problems.append(f"{unhandled} events not handled")
    for question in expected:
        if per_question[question] != n:
            problems.append(f"{per_question[question]} answers to {question} for {n} customers")
    if misplaced:
        problems.append(f"{misplaced} answers under the wrong question")
    if answered == len(SURVEY):
        if completed != n:
            problems.append(f"{completed} of {n} conversations completed")
        if set(coupons_per) != {1} or sum(coupons_per.values()) != completed:
            problems.append(f"coupons per completed conversation: {dict(coupons_per)}")
    return problems


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A PostgreSQL server of our own on a free port (run as `postgres` when we are
    root), with its default durability settings; removed afterwards. Yields a URL of an
    admin connection; `fresh_database` makes an empty database in it."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    initdb = str(found[-1]) if found else shutil.which("initdb")
    if not initdb:
        raise SystemExit("PostgreSQL server binaries not found (apt-get install postgresql)")
    bin_dir = Path(initdb).parent
    workdir = Path(tempfile.mkdtemp(prefix="postlive-bench-pg-"))
    workdir.chmod(0o755)
    as_pg: list[str] = []
    if os.geteuid() == 0:
        subprocess.run(["id", "postgres"], check=True, capture_output=True)  # noqa: S607
        shutil.chown(workdir, "postgres")
        as_pg = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    data = workdir / "data"
    subprocess.run(  # noqa: S603
        [*as_pg, initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    options = f"-k {workdir} -p {port} -h 127.0.0.1 -c max_connections=300"
    pg_ctl = str(bin_dir / "pg_ctl")
    subprocess.run(  # noqa: S603
        [*as_pg, pg_ctl, "-D", str(data), "-l", str(workdir / "log"), "-w", "-o", options, "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(  # noqa: S603
            [*as_pg, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
        )
        shutil.rmtree(workdir, ignore_errors=True)


_databases = iter(range(1, 10**6))


def fresh_database(admin_url: str) -> str:
    name = f"bench_{os.getpid()}_{next(_databases)}"
    engine = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name
