"""Inbound events: recorded once by the webhook, handled apart, in batches, in order.

Recording is the webhook's whole acknowledgement: one INSERT ... ON CONFLICT DO NOTHING
(the platform's own id is the dedup key), so a burst of answers is acknowledged at the
speed of that insert, whatever handling costs. Webhooks waiting at the same moment share
that insert's transaction (`acknowledge`, bot.group_commit); on SQLite, acknowledgements
and handling batches take turns at the one writer lock, acknowledgements first
(bot.write_turns). Handling (`handle_batch`) runs in the
handler loop of every `serve` and `worker` process (bot.handling): it claims the oldest
claimable events (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so processes share the load;
SQLite has one writer), handles them in one transaction with a savepoint each, and marks
them handled with one UPDATE.

Per-contact order: an event is claimable only when no older event of the same contact
is still unhandled. A newer answer therefore never overtakes an older one, in one
process, across processes, or after a crash (an unfinished batch rolls back and its
events are simply the oldest again at the next start). A failing event is retried with
backoff and blocks its contact's later events until it is handled or given up on
(`MAX_ATTEMPTS`), so nothing a customer said is lost or reordered.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Engine,
    Table,
    and_,
    bindparam,
    event,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col
from sqlmodel import select as orm_select

from bot import engine as conversation_engine
from bot import erasure_request, receipts
from bot.answers import is_delete_request, is_stop
from bot.clock import Clock, utc
from bot.db import reading, session_scope
from bot.effects import (
    apply_step,
    convo_of,
    defer_answers,
    discard_deferred_answers,
    opt_out,
    send_to_contact,
    write_deferred_answers,
)
from bot.engine import Send
from bot.flows import Flow
from bot.group_commit import GroupCommit
from bot.join import join_by_code
from bot.locales import normalize_tag
from bot.messages import Channel, Inbound, Media
from bot.models import (
    Campaign,
    Contact,
    Conversation,
    ConversationState,
    ErasureRequest,
    InboundEvent,
)
from bot.phrases import phrase
from bot.write_turns import WriteTurns

log = logging.getLogger(__name__)

EVENTS: Table = InboundEvent.__table__  # type: ignore[attr-defined]
ERASURES: Table = ErasureRequest.__table__  # type: ignore[attr-defined]
#: Kinds the engine handles; "status" is a delivery receipt (bot.receipts).
MESSAGE_KINDS = ("message", "callback_query")
STATUS_KIND = "status"
#: A status we keep no receipt of ("queued") that still proves the provider has the
#: message the outbox row `key` was sent as (bot.receipts.claim_orphan).
PROVIDER_ID_KIND = "provider_id"
#: A batch ends after its budget of CPU, or this many times the budget of wall time.
WALL_FACTOR = 2.5
#: A failing event is tried this many times (with backoff), then given up as "failed".
MAX_ATTEMPTS = 5
#: A receipt can overtake our record of the send (the provider answers the REST call,
#: then posts "failed" before the outbox row has its id): look again this much later.
UNKNOWN_RECEIPT_RETRY = (0.2, 1.0, 3.0)

#: What a channel does after one of its messages was handled (keep photos and voice
#: notes); runs outside the transaction, never blocks handling.
FollowUp = Callable[[Inbound], Awaitable[None]]
#: Work to do once the batch that handled an event has committed (keep a photo, answer
#: a Slack click): a bonus on top of what the transaction stored, never rolled back with
#: it and never holding it open.
AfterCommit = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Unfinished:
    """A kind handler's "not done yet": the event is done only once `work` has run after
    the commit (it needs an HTTP call first, e.g. a translation, never made inside the
    transaction). The batch leaves the event received, leased for `lease_seconds`; the
    follow-up runs `work` and then marks the event handled in a transaction of its own.
    A process that dies in between, or a `work` that raises, leaves the event to be
    claimed again after the lease (and its handler run again), so `work` must be safe to
    repeat; after MAX_ATTEMPTS it is given up and `given_up` is told why."""

    work: AfterCommit
    lease_seconds: float = 120.0
    given_up: Callable[[Exception], Awaitable[None]] | None = None


#: Handles an event of a kind of its own (a Slack click recorded by its ack) inside the
#: batch's transaction, with the batch's session, exactly once with the event; returns
#: what to do after the commit, if anything (`Unfinished`: the event is not done until
#: that ran). Registered in `Intake.kinds`.
KindHandler = Callable[[Session, Mapping[str, Any], datetime], AfterCommit | Unfinished | None]


@dataclass
class HandledBatch:
    claimed: int = 0
    #: More may be claimable right now (the batch was full or ran out of time).
    more: bool = False
    handled: int = 0
    failed: int = 0
    #: What to do now that the batch committed: (the event's label for logs, the work).
    follow_ups: list[tuple[str, AfterCommit]] = field(default_factory=list)


class Intake:
    def __init__(
        self,
        engine: Engine,
        flows: Mapping[str, Flow],
        clock: Clock,
        shop: str = "our shop",
        default_locale: str = "en",
        batch: int = 200,
        budget: float | None = None,
    ) -> None:
        self.engine = engine
        self.flows = flows
        self.clock = clock
        self.shop = shop
        self.default_locale = default_locale
        self.batch = batch
        # SQLite has one writer: while a batch's transaction is open, every webhook's
        # insert waits for it. A batch there ends after `budget` seconds of this thread's
        # CPU (or WALL_FACTOR times that of wall time), so an acknowledgement never waits
        # much longer; PostgreSQL's row locks block no insert. CPU, not wall time: on a
        # busy machine the thread is often waiting for a core, and batches cut short by
        # that waiting shrank to a few events, whose fixed cost (claim, reads, grouped
        # writes, commit) then doubled the cost of each.
        if budget is None:
            budget = 0.04 if engine.dialect.name == "sqlite" else 2.0
        self.budget = budget
        #: Events claimed per batch: what the budget allowed last time, times two, so a
        #: busy machine does not read (and lock) 200 contacts to handle 3 of them.
        self._claim_size = batch
        self.follow_ups: dict[str, FollowUp] = {}
        #: Handlers of event kinds other than messages and receipts (adapters add theirs).
        self.kinds: dict[str, KindHandler] = {}
        #: Called (from any thread) after an event is recorded: wakes the handler loop.
        self.wakers: list[Callable[[], None]] = []
        self._insert = postgresql_insert if engine.dialect.name == "postgresql" else sqlite_insert
        self._skip_locked = engine.dialect.name == "postgresql"
        self._lock = threading.Lock()  # one batch at a time per process
        #: SQLite: acknowledgements and batches take turns at its one writer lock.
        self.turns = WriteTurns() if engine.dialect.name == "sqlite" else None
        #: What `_prefetch` read for the batch under way (each entry used once).
        self._contacts: dict[tuple[str, str], Contact] = {}
        self._conversations: dict[int, list[Conversation]] = {}
        #: Of the prefetched contacts, those with an erasure question pending.
        self._prefetched: set[int] = set()
        self._erasure_pending: set[int] = set()
        self._campaign_flows: dict[int, str] = {}
        self._claims: dict[int, Any] = {}
        # Built once: the acknowledgement's statement is compiled once and reused, not
        # rebuilt and hashed for every webhook.
        self._record = (
            self._insert(EVENTS)
            .on_conflict_do_nothing(index_elements=["channel", "external_id"])
            .returning(EVENTS.c.id)
        )
        self._record_many = (
            self._insert(EVENTS)
            .on_conflict_do_nothing(index_elements=["channel", "external_id"])
            .returning(EVENTS.c.channel, EVENTS.c.external_id)
        )
        #: Webhooks' acknowledgements, written in groups by one thread (bot.group_commit).
        self.acks: GroupCommit[tuple[str, str]] = GroupCommit(
            self.record_many,
            key=lambda row: (row["channel"], row["external_id"]),
            name="postlive-acks",
        )

    # -- acknowledging ----------------------------------------------------------------

    def receive(self, inbound: Inbound) -> bool:
        """Record, then handle everything pending (CLI chat, demo, tests); False when
        this event was seen before."""
        event_id = self.record(inbound)
        if event_id is None:
            return False
        while self.handle_batch().claimed:
            pass
        return True

    def record(self, inbound: Inbound, kind: str = "message") -> int | None:
        """Store the event once; returns its id, or None for a duplicate delivery."""
        inbound = _without_nul(inbound)
        return self.record_event(
            inbound.channel, inbound.external_id, inbound.address, kind, _payload(inbound)
        )

    def record_receipt(self, receipt: receipts.Receipt, extra: Mapping[str, str]) -> int | None:
        """Store a delivery status callback once (per message id and status)."""
        return self._store(self._receipt_values(receipt, extra))

    def record_event(
        self,
        channel: str,
        external_id: str,
        address: str | None,
        kind: str,
        payload: dict[str, Any],
    ) -> int | None:
        """The acknowledgement's one statement: INSERT ... ON CONFLICT DO NOTHING."""
        return self._store(self._values(channel, external_id, address, kind, payload))

    def _store(self, values: Mapping[str, Any]) -> int | None:
        with self._ack_turn(), self.engine.begin() as conn:
            event_id = conn.execute(self._record, values).scalar()
        if event_id is not None:
            for wake in self.wakers:
                wake()
        return event_id

    async def acknowledge(self, inbound: Inbound, kind: str = "message") -> bool:
        """`record` for a webhook: stored in the group commit of the acknowledgements
        waiting at the same moment (bot.group_commit); False for a duplicate delivery."""
        inbound = _without_nul(inbound)
        values = self._values(
            inbound.channel, inbound.external_id, inbound.address, kind, _payload(inbound)
        )
        return await self.acks.submit(values)

    async def acknowledge_receipt(
        self, receipt: receipts.Receipt, extra: Mapping[str, str]
    ) -> bool:
        """`record_receipt` for a webhook, in the group commit."""
        return await self.acks.submit(self._receipt_values(receipt, extra))

    async def acknowledge_provider_id(
        self, channel: str, key: str, provider_id: str, status: str
    ) -> bool:
        """A status callback that makes no receipt but names the outbox row it was sent
        for: recorded once per message and status, the row claimed by the handler."""
        payload = {"channel": channel, "key": key, "provider_id": provider_id}
        external_id = f"{provider_id}:{status.strip().lower()}"[:128]
        return await self.acks.submit(
            self._values(channel, external_id, None, PROVIDER_ID_KIND, payload)
        )

    def record_many(self, rows: Sequence[Mapping[str, Any]]) -> set[tuple[str, str]]:
        """Store events in one transaction (one executemany of the acknowledgement's
        statement); returns the (channel, external_id) of those that were new."""
        with self._ack_turn(), self.engine.begin() as conn:
            added = {
                (channel, external_id)
                for channel, external_id in conn.execute(self._record_many, list(rows))
            }
        if added:
            for wake in self.wakers:
                wake()
        return added

    def _ack_turn(self) -> AbstractContextManager[None]:
        return self.turns.ack() if self.turns is not None else nullcontext()

    def _values(
        self,
        channel: str,
        external_id: str,
        address: str | None,
        kind: str,
        payload: dict[str, Any],
    ) -> dict[str, Any]:
        return {
            "channel": channel,
            "external_id": external_id,
            "address": address,
            "kind": kind,
            "payload": payload,
            "status": "received",
            "attempts": 0,
            "received_at": self.clock.now(),
        }

    def _receipt_values(
        self, receipt: receipts.Receipt, extra: Mapping[str, str]
    ) -> dict[str, Any]:
        payload = {**asdict(receipt), "extra": dict(extra)}
        external_id = f"{receipt.provider_id}:{receipt.status}"[:128]
        return self._values(receipt.channel, external_id, None, STATUS_KIND, payload)

    # -- handling -----------------------------------------------------------------------

    def handle_batch(self, limit: int | None = None) -> HandledBatch:
        """Claim up to `limit` claimable events, oldest first, and handle them in one
        transaction. The contacts and conversations of the batch are read with one query
        each. Should an event fail, the batch is rolled back and done again with a
        savepoint per event, so one bad event does not hold back the others."""
        with self._lock:
            try:
                return self._batch(limit, savepoints=False)
            except Exception:  # noqa: BLE001 - redone event by event below
                log.warning("a batch of inbound events failed; handling them one by one")
            return self._batch(limit, savepoints=True)

    def _batch(self, limit: int | None, *, savepoints: bool) -> HandledBatch:
        result = HandledBatch()
        turns = self.turns
        with turns.batch() if turns else nullcontext(), session_scope(self.engine) as session:
            _hold_loaded(session)
            # A batch's answers are one statement: each contact has one event in it, so
            # no two of them are for the same question of the same conversation.
            defer_answers(session)
            now = self.clock.now()
            size = min(limit or self.batch, self._claim_size)
            rows = session.execute(self._claimable(size), {"now": now}).all()
            result.more = len(rows) == size
            self._prefetch(session, rows)
            cpu_deadline = time.thread_time() + self.budget
            deadline = time.monotonic() + WALL_FACTOR * self.budget
            done: list[int] = []
            for event_id, kind, payload, attempts in rows:
                if result.claimed and (
                    time.thread_time() > cpu_deadline
                    or time.monotonic() > deadline
                    or (turns is not None and turns.should_yield())
                ):
                    result.more = True  # the rest stay received, first in line next time
                    self._claim_size = max(4, 2 * result.claimed)
                    break
                result.claimed += 1
                if not savepoints:
                    finished = self._handle_event(session, kind, payload, attempts, now)
                else:
                    try:
                        with session.begin_nested():
                            finished = self._handle_event(session, kind, payload, attempts, now)
                            write_deferred_answers(session)  # inside this event's savepoint
                    except Exception as exc:  # noqa: BLE001 - recorded on the event, retried
                        discard_deferred_answers(session)  # rolled back with the savepoint
                        log.exception("inbound event %s could not be handled", event_id)
                        self._failed(session, event_id, attempts, repr(exc), now)
                        result.failed += 1
                        continue
                if finished is None:
                    self._later(session, event_id, attempts, now)
                    continue
                if isinstance(finished, Unfinished):  # leased, handled by its follow-up
                    self._lease(session, event_id, attempts, now, finished.lease_seconds)
                    work = self._finish(event_id, attempts, finished)
                    result.follow_ups.append((f"{kind} event {event_id}", work))
                    continue
                done.append(event_id)
                if finished is not True:
                    result.follow_ups.append((f"{kind} event {event_id}", finished))
            write_deferred_answers(session)
            if done:
                session.execute(
                    update(EVENTS)
                    .where(EVENTS.c.id.in_(done))
                    .values(status="handled", handled_at=now, attempts=EVENTS.c.attempts + 1)
                )
            result.handled = len(done)
            if result.claimed == len(rows):
                self._claim_size = min(self.batch, 2 * self._claim_size)
            self._contacts, self._conversations = {}, {}
            self._prefetched, self._erasure_pending = set(), set()
        return result

    def _prefetch(self, session: Session, rows: Sequence[Any]) -> None:
        """The batch's contacts and their conversations, two queries for the batch
        instead of two per event (each contact has one event per batch)."""
        self._contacts, self._conversations = {}, {}
        self._prefetched, self._erasure_pending = set(), set()
        by_channel: dict[str, set[str]] = {}
        for _id, kind, payload, _attempts in rows:
            if kind in MESSAGE_KINDS and payload.get("address"):
                by_channel.setdefault(payload["channel"], set()).add(payload["address"])
        if not by_channel:
            return
        contacts = [
            contact
            for channel, addresses in by_channel.items()
            for contact in session.scalars(
                _PREFETCH.contacts, {"channel": channel, "addresses": sorted(addresses)}
            )
        ]
        self._contacts = {(c.channel, c.address): c for c in contacts}
        ids = [c.id for c in contacts]
        self._conversations = {i: [] for i in ids if i is not None}
        if not ids:
            return
        # Whom an erasure question is pending for: the others' messages need no look at
        # it (one query for the batch, after their rows are locked, instead of one each).
        self._prefetched = {i for i in ids if i is not None}
        self._erasure_pending = set(session.scalars(_PREFETCH.erasures, {"ids": ids}))
        conversations = session.scalars(_PREFETCH.conversations, {"ids": ids})
        for conversation in conversations:
            self._conversations[conversation.contact_id].append(conversation)

    def retry_pending(self, older_than: datetime | None = None, limit: int = 100) -> int:
        """Handle what is pending (kept for the scheduler; the handler loop does this
        continuously). `older_than` is no longer needed: order rules what may run."""
        return self.handle_batch(limit).claimed

    def lag(self) -> tuple[int, float]:
        """Events waiting to be handled, and how long the oldest has waited (seconds)."""
        with reading(self.engine) as conn:
            oldest = conn.execute(
                select(func.min(EVENTS.c.received_at)).where(EVENTS.c.status == "received")
            ).scalar()
            if oldest is None:
                return 0, 0.0
            waiting = conn.execute(
                select(func.count()).where(EVENTS.c.status == "received")
            ).scalar_one()
        return waiting, max(0.0, (self.clock.now() - utc(oldest)).total_seconds())

    def _claimable(self, limit: int) -> Any:
        """The claim query for `limit` events, built once per size (`now` is a bound
        parameter), so a batch does not rebuild and hash it."""
        query = self._claims.get(limit)
        if query is None:
            query = self._claims[limit] = self._claim_query(limit)
        return query

    def _claim_query(self, limit: int) -> Any:
        older = EVENTS.alias("older")
        query = (
            select(EVENTS.c.id, EVENTS.c.kind, EVENTS.c.payload, EVENTS.c.attempts)
            .where(
                EVENTS.c.status == "received",
                or_(EVENTS.c.not_before.is_(None), EVENTS.c.not_before <= bindparam("now")),
                ~exists().where(
                    and_(
                        older.c.channel == EVENTS.c.channel,
                        older.c.address == EVENTS.c.address,
                        older.c.status == "received",
                        older.c.id < EVENTS.c.id,
                    )
                ),
            )
            # Arrival order, along the (status, received_at) index: the scan stops at
            # `limit` instead of sorting every pending event on each batch. (A contact's
            # own order is the NOT EXISTS above, by id.)
            .order_by(EVENTS.c.received_at, EVENTS.c.id)
            .limit(limit)
        )
        if self._skip_locked:
            query = query.with_for_update(skip_locked=True, of=EVENTS)
        return query

    def _handle_event(
        self, session: Session, kind: str, payload: dict[str, Any], attempts: int, now: datetime
    ) -> AfterCommit | Unfinished | Literal[True] | None:
        """What to do after the commit, True when handled with nothing more to do, None
        to look again later, Unfinished when handled only once its follow-up ran."""
        if kind == STATUS_KIND:
            receipt = receipts.from_payload(payload)
            key = (payload.get("extra") or {}).get("outbox")
            if key:
                # The callback names the row it was sent for: a row whose worker died
                # before recording the provider id takes it now and is never resent.
                receipts.claim_orphan_in(session, receipt.channel, key, receipt.provider_id)
            outcome = receipts.apply(session, receipt, now)
            if outcome is receipts.Outcome.UNKNOWN:
                if attempts < len(UNKNOWN_RECEIPT_RETRY):
                    return None
                log.info("status %s for unknown message %s", receipt.status, receipt.provider_id)
            return True
        if kind == PROVIDER_ID_KIND:
            receipts.claim_orphan_in(
                session, payload["channel"], payload["key"], payload["provider_id"]
            )
            return True
        if kind not in MESSAGE_KINDS:
            handler = self.kinds.get(kind)
            if handler is None:
                raise LookupError(f"no handler for inbound events of kind {kind!r}")
            return handler(session, payload, now) or True
        inbound = _inbound(payload)
        self._handle(session, inbound)
        follow_up = self.follow_ups.get(inbound.channel) if inbound.media else None
        return functools.partial(follow_up, inbound) if follow_up is not None else True

    def _later(self, session: Session, event_id: int, attempts: int, now: datetime) -> None:
        delay = UNKNOWN_RECEIPT_RETRY[min(attempts, len(UNKNOWN_RECEIPT_RETRY) - 1)]
        self._lease(session, event_id, attempts, now, delay)

    def _lease(
        self, session: Session, event_id: int, attempts: int, now: datetime, seconds: float
    ) -> None:
        """Look at the event again no sooner than `seconds` from now, one attempt more."""
        session.execute(
            update(EVENTS)
            .where(EVENTS.c.id == event_id)
            .values(attempts=attempts + 1, not_before=now + timedelta(seconds=seconds))
        )

    def _finish(self, event_id: int, attempts: int, unfinished: Unfinished) -> AfterCommit:
        """The follow-up of an Unfinished event: its work, then the event marked handled
        (`_end_lease`)."""

        async def finish() -> None:
            try:
                await unfinished.work()
            except Exception as exc:  # noqa: BLE001 - recorded on the event, retried
                given_up = attempts + 1 >= MAX_ATTEMPTS
                log.exception("inbound event %s could not be finished", event_id)
                ended = await asyncio.to_thread(
                    self._end_lease, event_id, attempts, repr(exc), given_up
                )
                if ended and given_up and unfinished.given_up is not None:
                    await unfinished.given_up(exc)
                return
            await asyncio.to_thread(self._end_lease, event_id, attempts, None, False)

        return finish

    def _end_lease(self, event_id: int, attempts: int, error: str | None, given_up: bool) -> bool:
        """Handled (no error), failed for good, or left received with the error. Done
        work marks the event handled even if its lease ran out (a re-run under the newer
        lease finds it done); a failure only settles its own lease, so a stale one never
        gives up an event a newer lease may still finish. False when nothing changed."""
        where = [EVENTS.c.id == event_id, EVENTS.c.status == "received"]
        if error is None:
            values: dict[str, Any] = {"status": "handled", "handled_at": self.clock.now()}
        else:
            values = {"error": error[:2000], "status": "failed" if given_up else "received"}
            where.append(EVENTS.c.attempts == attempts + 1)
        with self._ack_turn(), self.engine.begin() as conn:
            changed = conn.execute(update(EVENTS).where(*where).values(**values)).rowcount
        if error is None:
            for wake in self.wakers:  # the user's later events are claimable now
                wake()
        return bool(changed)

    def _failed(
        self, session: Session, event_id: int, attempts: int, error: str, now: datetime
    ) -> None:
        given_up = attempts + 1 >= MAX_ATTEMPTS
        if given_up:
            log.error("inbound event %s given up after %s attempts", event_id, attempts + 1)
        session.execute(
            update(EVENTS)
            .where(EVENTS.c.id == event_id)
            .values(
                attempts=attempts + 1,
                error=error[:2000],
                status="failed" if given_up else "received",
                not_before=now + timedelta(seconds=2 ** (attempts + 1)),
            )
        )

    # -- inside the transaction -----------------------------------------------------

    def _handle(self, session: Session, inbound: Inbound) -> None:
        now = self.clock.now()
        contact = self._contact(session, inbound, now)
        if contact.forgotten_at is None and join_by_code(
            session, contact, inbound, now, shop=self.shop, default_locale=self.default_locale
        ):
            return  # a viewer joining a live show's audience (bot.join), not an answer
        if (
            contact.forgotten_at is None
            and self._may_be_erasure(contact, inbound)
            and erasure_request.handle(
                session, contact, inbound, now, shop=self.shop, default_locale=self.default_locale
            )
        ):
            return  # "delete my data": asked back, erased on "yes" (bot.erasure_request)
        if contact.opted_out_at is not None or contact.forgotten_at is not None:
            return  # for good: nothing is ever sent after STOP
        conversation = self._current_conversation(session, contact)
        if conversation is None:
            self._without_conversation(session, contact, inbound, now)
            return
        flow = self._flow_of(session, conversation.campaign_id)
        if flow is None:
            log.error("conversation %s uses unknown flow", conversation.id)
            self._without_conversation(session, contact, inbound, now)
            return
        result = conversation_engine.step(flow, convo_of(conversation), inbound, shop=self.shop)
        # No flush per statement: the contact's and conversation's changes of the whole
        # batch go out together (grouped UPDATEs) before the events are marked handled.
        with session.no_autoflush:
            apply_step(session, flow, conversation, contact, result, now, in_reply=True)

    def _may_be_erasure(self, contact: Contact, inbound: Inbound) -> bool:
        """Whether bot.erasure_request has anything to do with this message: a question
        is pending for the contact, or this asks for it (or the contact was not read with
        the batch, so nothing is known)."""
        if contact.id not in self._prefetched:
            return True
        return contact.id in self._erasure_pending or is_delete_request(inbound.text)

    def _flow_of(self, session: Session, campaign_id: int) -> Flow | None:
        """A campaign's flow; a campaign never changes its flow, so this is cached."""
        flow_id = self._campaign_flows.get(campaign_id)
        if flow_id is None:
            campaign = session.get(Campaign, campaign_id)
            if campaign is None:
                return None
            flow_id = self._campaign_flows[campaign_id] = campaign.flow_id
        return self.flows.get(flow_id)

    def _contact(self, session: Session, inbound: Inbound, now: datetime) -> Contact:
        contact = self._contacts.pop((inbound.channel, inbound.address), None)
        if contact is None:
            contact = session.exec(
                orm_select(Contact)
                .where(Contact.channel == inbound.channel, Contact.address == inbound.address)
                .with_for_update()
            ).first()
        if contact is None:
            contact = Contact(
                channel=inbound.channel,
                address=inbound.address,
                name=inbound.profile_name,
                created_at=now,
            )
        if contact.locale is None and inbound.language_hint:
            contact.locale = normalize_tag(inbound.language_hint)
        if contact.name is None and inbound.profile_name:
            contact.name = inbound.profile_name[:200]
        contact.last_inbound_at = now
        session.add(contact)
        if contact.id is None:
            session.flush()
        return contact

    def _current_conversation(self, session: Session, contact: Contact) -> Conversation | None:
        """The open conversation if any, else the most recent one that reached them."""
        prefetched = self._conversations.pop(contact.id, None)  # type: ignore[arg-type]
        rows = (
            prefetched
            if prefetched is not None
            else _reached(session, col(Conversation.contact_id) == contact.id)
        )
        active = [c for c in rows if c.state == ConversationState.ACTIVE]
        found = active or rows
        return found[0] if found else None

    def _without_conversation(
        self, session: Session, contact: Contact, inbound: Inbound, now: datetime
    ) -> None:
        locale = contact.locale or self.default_locale
        key = f"inbound:{inbound.channel}:{inbound.external_id}"
        if is_stop(inbound.text):
            opt_out(session, contact, now)
            send = Send("stop_confirm", phrase("stop_confirm", locale, shop=self.shop))
        else:
            send = conversation_engine.no_open_conversation(locale, self.shop)
        send_to_contact(
            session,
            None,
            contact,
            send,
            key,
            now,
            conversation_id=None,
            in_reply=True,
            locale=locale,
        )


def _hold_loaded(session: Session) -> None:
    """Keep what the batch's session loads for as long as the session lives.

    The identity map holds objects weakly: a campaign or coupon pool read for one
    completion is dropped as soon as that event is done, and read again for the next.
    Held, `session.get` finds it, once per batch instead of once per event."""
    held: list[object] = session.info.setdefault("held", [])

    def hold(_session: Session, instance: object) -> None:
        held.append(instance)

    event.listen(session, "loaded_as_persistent", hold)


def _without_nul(inbound: Inbound) -> Inbound:
    """PostgreSQL text cannot hold U+0000; a customer's NUL becomes U+FFFD (the visible
    "unreadable character") so the rest of what they wrote is stored exactly."""
    texts = (
        inbound.text,
        inbound.choice,
        inbound.profile_name,
        inbound.address,
        inbound.external_id,
        inbound.language_hint,
    )
    if not any(value and "\x00" in value for value in texts):
        return inbound  # the usual case: nothing to copy

    def clean(value: str | None) -> str | None:
        return value.replace("\x00", "\ufffd") if value and "\x00" in value else value

    return replace(
        inbound,
        text=clean(inbound.text),
        choice=clean(inbound.choice),
        profile_name=clean(inbound.profile_name),
        address=clean(inbound.address) or "",
        external_id=clean(inbound.external_id) or "",
        language_hint=clean(inbound.language_hint),
    )


_INBOUND_FIELDS = tuple(f.name for f in fields(Inbound))
_MEDIA_FIELDS = tuple(f.name for f in fields(Media))


def _payload(inbound: Inbound) -> dict[str, Any]:
    """The event's JSON: what `dataclasses.asdict` gives, without its deep copy (a
    sixth of an acknowledgement's CPU); `_inbound` reads it back."""
    data = {name: getattr(inbound, name) for name in _INBOUND_FIELDS}
    data["media"] = [{name: getattr(m, name) for name in _MEDIA_FIELDS} for m in inbound.media]
    data["received_at"] = inbound.received_at.isoformat() if inbound.received_at else None
    data["extras"] = dict(inbound.extras)
    return data


def _inbound(payload: Mapping[str, Any]) -> Inbound:
    p = dict(payload)
    p["channel"] = Channel(p["channel"])
    p["media"] = tuple(Media(**m) for m in p.get("media", []))
    p["received_at"] = datetime.fromisoformat(p["received_at"]) if p.get("received_at") else None
    return Inbound(**p)


def _reached_query(which: ColumnElement[bool]) -> Any:
    """The conversations an inbound message may be about (open, or ones that reached the
    customer), newest first, locked for the batch."""
    return (
        orm_select(Conversation)
        .where(
            which,
            col(Conversation.state).in_(
                [ConversationState.ACTIVE, ConversationState.COMPLETED, ConversationState.EXPIRED]
            ),
        )
        .order_by(col(Conversation.id).desc())
        .with_for_update()
    )


def _reached(session: Session, which: ColumnElement[bool]) -> list[Conversation]:
    return list(session.exec(_reached_query(which)).all())


@dataclass(frozen=True)
class _PrefetchQueries:
    """A batch's reads, built once with their lists as expanding parameters: compiled
    once and never re-hashed, instead of built anew for every batch."""

    contacts: Any = (
        orm_select(Contact)
        .where(
            col(Contact.channel) == bindparam("channel"),
            col(Contact.address).in_(bindparam("addresses", expanding=True)),
        )
        .with_for_update()
    )
    erasures: Any = select(ERASURES.c.contact_id).where(
        ERASURES.c.contact_id.in_(bindparam("ids", expanding=True))
    )
    conversations: Any = _reached_query(
        col(Conversation.contact_id).in_(bindparam("ids", expanding=True))
    )


_PREFETCH = _PrefetchQueries()
