"""Turns claimed outbox rows into channel calls and records what happened.

One message, one small story: wait for the provider's and the recipient's rate, check the
claim is still ours, call the channel, and commit the outcome in its own transaction
right after the call. Messages to different recipients go out concurrently (a provider
allowing 80 per second is never reached one call at a time); messages to one recipient
go out one after the other, in the order they were queued, so question 3 never overtakes
question 2.

Exactly once, as the customer sees it: the row is `sending` (durably, by `claim`) before
the call and `sent` with the provider's id a few milliseconds after it (`SentLog`: group
commits on the database threads, which provider calls never share). Only a crash in
that gap leaves a message in doubt; `claim` hands such a row out again after its lease,
flagged, and we ask the provider (`SenderLookup`) before resending. A channel that cannot
be asked gets the message again: the one case in which a customer may see a message
twice, bounded by the calls in flight when the process died (docs/scaling.md).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol, TypeVar, runtime_checkable

from sqlalchemy import Engine, bindparam, update
from sqlalchemy.exc import OperationalError
from sqlmodel import col, select

from bot import outbox
from bot.clock import Clock
from bot.db import session_scope
from bot.errors import (
    OutsideWindow,
    RateLimited,
    RecipientOptedOut,
    RecipientUnreachable,
    Refused,
)
from bot.messages import Outbound
from bot.models import Contact, Outbox, OutboxStatus
from bot.ratelimit import RateLimiter
from bot.receipts import Reason, refused

T = TypeVar("T")

log = logging.getLogger(__name__)

#: Database writes run on threads of their own, never behind provider calls (which run
#: on the senders' own threads or event loop): a busy pool of SDK calls must not delay
#: the commit that records a send, and a slow commit must not hold a send back.
DATABASE_THREADS = 4
_database = ThreadPoolExecutor(DATABASE_THREADS, thread_name_prefix="outbox-db")
#: Provider clocks and ours differ a little: an in-doubt lookup looks back this much more.
LOOKUP_MARGIN = timedelta(minutes=2)
#: Samples of the gap between a provider's acceptance and our commit (seconds).
LAG_SAMPLES = 100_000


async def in_database(fn: Callable[..., T], *args: object) -> T:
    """Run `fn(*args)` (a short transaction) on the database threads."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_database, partial(fn, *args))


class Sender(Protocol):
    """What a channel adapter offers the outbox worker."""

    async def send(self, message: Outbound, *, key: str) -> str | None:
        """Send one message; return the provider's message id. Raise DeliveryError subclasses."""
        ...


@runtime_checkable
class SenderLookup(Protocol):
    """A channel that can tell whether it already accepted a message (optional)."""

    async def lookup(self, message: Outbound, *, key: str, since: datetime) -> list[str]:
        """Provider ids of messages accepted since `since` that may be the one sent under
        `key`, oldest first (empty: the provider never had it). The delivery layer takes
        the first that no other outbox row has recorded."""
        ...


@dataclass(frozen=True)
class DeadLetter:
    """A message given up on after every attempt: the team should hear about it."""

    outbox_id: int
    key: str
    channel: str
    kind: str
    attempts: int
    error: str


DeadLetterHook = Callable[[DeadLetter], None]


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    #: In-doubt rows the provider turned out to have already: recorded, not resent.
    recovered: int = 0
    #: Claimed but handed back unsent (shutdown, lease running out).
    released: int = 0
    #: Left `sending`: the outcome is unknown (a timeout, the database away); the lease
    #: brings them back in doubt.
    unknown: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        return (
            self.sent + self.retried + self.failed + self.recovered + self.released + self.unknown
        )

    def add(self, other: DeliveryReport) -> None:
        for name in ("sent", "retried", "failed", "recovered", "released", "unknown", "dead"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors[: max(0, 100 - len(self.errors))])


class Delivery:
    """Sends claimed rows: rate limits, lease check, in-doubt lookup, outcome."""

    def __init__(
        self,
        engine: Engine,
        senders: Mapping[str, Sender],
        clock: Clock,
        *,
        limiter: RateLimiter | None = None,
        lease: timedelta = outbox.LEASE,
        on_dead_letter: DeadLetterHook | None = None,
    ) -> None:
        self.engine = engine
        self.senders = senders
        self.clock = clock
        self.limiter = limiter or RateLimiter()
        self.lease = lease.total_seconds()
        self.on_dead_letter = on_dead_letter
        #: Set when the worker stops: rows not yet on the wire are handed back.
        self.stopping = False
        #: Rows whose provider call is under way (a stopping worker lets these finish).
        self.calling: set[int] = set()
        self.dead_letters = 0
        #: Seconds between a provider accepting a message and our commit recording it:
        #: the window in which a crash can make a channel that cannot be asked repeat it.
        self.unrecorded: deque[float] = deque(maxlen=LAG_SAMPLES)
        self.sent_log = SentLog(engine, clock)

    async def deliver(self, row: outbox.Claimed, claimed_at: float, report: DeliveryReport) -> None:
        """Send one claimed row. `claimed_at` is the monotonic time of its claim."""
        channel, address = row.message.channel, row.message.address
        sender = self.senders[channel]
        try:
            await self.limiter.acquire(channel, address)
        except asyncio.CancelledError:
            await self._record(_release, self.engine, row)
            report.released += 1
            raise
        # Never start a call on a claim that may have run out: another worker could be
        # sending the same row by now. A fifth of the lease is kept for the call itself.
        if self.stopping or time.monotonic() - claimed_at > self.lease * 0.8:
            await self._record(_release, self.engine, row)
            report.released += 1
            return
        if row.in_doubt and await self._already_sent(sender, row, report):
            return
        self.calling.add(row.id)
        try:
            provider_id = await asyncio.wait_for(
                sender.send(row.message, key=row.key), timeout=self.lease * 0.2
            )
        except TimeoutError:
            # The provider may or may not have it: leave the row `sending`; after the lease
            # it comes back in doubt and is looked up before any resend.
            log.warning("send timed out for outbox %s; outcome unknown", row.id)
            report.unknown += 1
        except RateLimited as exc:
            self.limiter.pause(channel, exc.retry_after)
            # Flow control, not a failure: the policy's larger bound for 429s applies.
            await self._retry(row, str(exc), exc.retry_after, report, rate_limited=True)
        except RecipientUnreachable as exc:
            await self._record(_unreachable, self.engine, row, exc, self.clock.now())
            report.failed += 1
            report.errors.append(exc.reason)
        except Refused as exc:
            # Retrying cannot help (a channel we are not in, a malformed message).
            await self._record(_fail, self.engine, row, str(exc), exc.code[:32])
            report.failed += 1
            report.errors.append(str(exc))
        except OutsideWindow as exc:
            # The adapter already tried the template path; nothing more we can do with it.
            await self._record(_fail, self.engine, row, str(exc), "outside_window")
            report.failed += 1
            report.errors.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - transient or unknown: retry, bounded
            log.warning("send failed for outbox %s (attempt %s): %s", row.id, row.attempts, exc)
            await self._retry(row, f"{type(exc).__name__}: {exc}", None, report)
        else:
            # The provider has it: record that before anything else can happen. Until
            # this commit lands a crash leaves the row in doubt; the gap is measured.
            accepted = time.perf_counter()
            if await self.sent_log.record(row.id, provider_id):
                self.unrecorded.append(time.perf_counter() - accepted)
                report.sent += 1
            else:
                report.unknown += 1
        finally:
            self.calling.discard(row.id)

    async def _already_sent(
        self, sender: Sender, row: outbox.Claimed, report: DeliveryReport
    ) -> bool:
        if not isinstance(sender, SenderLookup):
            log.warning(
                "outbox %s was in flight when its worker died and %s cannot be asked whether "
                "it arrived: resending (the customer may see it twice)",
                row.id,
                row.message.channel,
            )
            return False
        since = (row.since or self.clock.now()) - LOOKUP_MARGIN
        try:
            candidates = await sender.lookup(row.message, key=row.key, since=since)
            provider_id = await self._record(_unclaimed, self.engine, row, candidates)
        except Exception as exc:  # noqa: BLE001 - unknown stays unknown: ask again later
            log.warning("could not look up in-doubt outbox %s: %s", row.id, exc)
            report.unknown += 1
            return True
        if not provider_id:
            return False
        log.info("outbox %s had reached the provider before the crash: not resent", row.id)
        await self._record(_sent, self.engine, row, provider_id, self.clock)
        report.recovered += 1
        return True

    async def _retry(
        self,
        row: outbox.Claimed,
        error: str,
        after: float | None,
        report: DeliveryReport,
        *,
        rate_limited: bool = False,
    ) -> None:
        kept = await self._record(_retry, self.engine, row, error, self.clock, after, rate_limited)
        if kept is None:
            report.unknown += 1
            return
        if kept:
            report.retried += 1
            return
        report.failed += 1
        report.dead += 1
        report.errors.append(error)
        self.dead_letters += 1
        letter = DeadLetter(row.id, row.key, row.message.channel, row.kind, row.attempts, error)
        log.error(
            "dead letter: outbox %s (%s, %s) failed after %s attempts: %s",
            letter.outbox_id,
            letter.channel,
            letter.kind,
            letter.attempts,
            letter.error,
        )
        if self.on_dead_letter:
            try:
                self.on_dead_letter(letter)
            except Exception:  # noqa: BLE001 - an alert failing must not stop delivery
                log.exception("dead-letter hook failed for outbox %s", row.id)

    async def _record(self, fn: Callable[..., object], *args: object) -> object:
        """Run a small write on the database threads; a blip is retried briefly, then the
        row is left as it is (its lease brings it back)."""
        for attempt in range(4):
            try:
                return await in_database(fn, *args)
            except OperationalError:
                if attempt == 3:
                    log.exception("could not record the outcome of a send")
                    return None
                await asyncio.sleep(0.1 * 2**attempt)
        return None  # pragma: no cover


class SentLog:
    """Records accepted sends in group commits.

    A send that completes while a commit is under way joins the next one: nothing waits
    on purpose, so one send alone is committed at once, and a fan-out at hundreds per
    second pays for a few commits a second instead of one per message (on a busy
    machine, per-message transactions were what kept the drain under the provider's
    rate). A row stays `sending` until its group commits: a crash before then leaves it
    in doubt, as before.
    """

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        self._pending: list[tuple[int, str | None, asyncio.Future[bool]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def record(self, row_id: int, provider_id: str | None) -> bool:
        """Mark the row sent; False when the database stayed away (the lease brings the
        row back in doubt)."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((row_id, provider_id, future))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        # Shielded: a cancelled caller does not cancel the group its row is part of.
        return await asyncio.shield(future)

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            written = await self._write([(row_id, sid) for row_id, sid, _ in batch])
            for _, _, future in batch:
                if not future.done():
                    future.set_result(written)

    async def _write(self, rows: list[tuple[int, str | None]]) -> bool:
        for attempt in range(4):
            try:
                await in_database(_sent_many, self.engine, rows, self.clock.now())
                return True
            except OperationalError:
                if attempt == 3:
                    log.exception("could not record %s sends", len(rows))
                    return False
                await asyncio.sleep(0.1 * 2**attempt)
        return False  # pragma: no cover


def _sent_many(engine: Engine, rows: list[tuple[int, str | None]], now: datetime) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(Outbox)
            .where(col(Outbox.id) == bindparam("row_id"))
            .values(
                status=OutboxStatus.SENT,
                provider_id=bindparam("sid"),
                sent_at=now,
                claimed_until=None,
                last_error=None,
            ),
            [{"row_id": row_id, "sid": sid} for row_id, sid in rows],
        )


async def deliver_rows(
    delivery: Delivery, rows: list[outbox.Claimed], concurrency: int = 32
) -> DeliveryReport:
    """Send `rows`: one recipient's in order, different recipients concurrently."""
    report = DeliveryReport()
    claimed_at = time.monotonic()
    queues: dict[tuple[str, str], list[outbox.Claimed]] = defaultdict(list)
    for row in rows:
        queues[(row.message.channel, row.message.address)].append(row)
    slots = asyncio.Semaphore(concurrency)

    async def one_recipient(queue: list[outbox.Claimed]) -> None:
        async with slots:
            for row in queue:
                await delivery.deliver(row, claimed_at, report)

    await asyncio.gather(*(one_recipient(q) for q in queues.values()))
    return report


async def deliver_due(
    engine: Engine,
    senders: Mapping[str, Sender],
    clock: Clock,
    limit: int = 50,
    *,
    limiter: RateLimiter | None = None,
    concurrency: int = 32,
    lease: timedelta = outbox.LEASE,
    on_dead_letter: DeadLetterHook | None = None,
) -> DeliveryReport:
    """One pass: claim due rows for the channels we can send on, send them, record results."""
    rows = await in_database(outbox.claim, engine, clock.now(), limit, set(senders), lease)
    delivery = Delivery(
        engine, senders, clock, limiter=limiter, lease=lease, on_dead_letter=on_dead_letter
    )
    return await deliver_rows(delivery, rows, concurrency)


def _sent(engine: Engine, row: outbox.Claimed, provider_id: str | None, clock: Clock) -> bool:
    with session_scope(engine) as session:
        outbox.mark_sent(session, row.id, provider_id, clock.now())
    return True


def _retry(
    engine: Engine,
    row: outbox.Claimed,
    error: str,
    clock: Clock,
    after: float | None,
    rate_limited: bool = False,
) -> bool:
    with session_scope(engine) as session:
        return outbox.mark_retry(
            session, row.id, row.attempts, error, clock.now(), after, rate_limited=rate_limited
        )


def _unclaimed(engine: Engine, row: outbox.Claimed, candidates: list[str]) -> str | None:
    """The first of the provider's `candidates` that no other outbox row has recorded:
    the message the dead worker sent for `row` (a later message to the same recipient,
    sent since by another row, has its id recorded there)."""
    if not candidates:
        return None
    with session_scope(engine) as session:
        taken = set(
            session.exec(
                select(Outbox.provider_id).where(
                    Outbox.channel == row.message.channel,
                    col(Outbox.provider_id).in_(candidates),
                    Outbox.id != row.id,
                )
            ).all()
        )
    return next((sid for sid in candidates if sid not in taken), None)


def _release(engine: Engine, row: outbox.Claimed) -> None:
    with session_scope(engine) as session:
        outbox.release(session, row.id)


def _fail(engine: Engine, row: outbox.Claimed, error: str, code: str | None) -> None:
    with session_scope(engine) as session:
        outbox.mark_failed(session, row.id, error, code)


def _unreachable(
    engine: Engine, row: outbox.Claimed, error: RecipientUnreachable, now: datetime
) -> None:
    """The row fails for good, and what the refusal says about the customer sticks: an
    unsubscribe opts them out (as STOP), anything else makes them unreachable and ends
    their open conversations (bot.receipts.refused, shared with delivery receipts)."""
    reason = Reason.UNSUBSCRIBED if isinstance(error, RecipientOptedOut) else Reason.INVALID_ADDRESS
    with session_scope(engine) as session:
        code = "opted_out" if reason is Reason.UNSUBSCRIBED else "unreachable"
        outbox.mark_failed(session, row.id, error.reason, code)
        if row.contact_id is not None:
            session.execute(
                update(Contact)
                .where(col(Contact.id) == row.contact_id)
                .values(unreachable_reason=error.reason)
            )
        refused(session, row.message.channel, row.message.address, reason, error.reason, now)
