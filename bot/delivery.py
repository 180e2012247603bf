"""Turns claimed outbox rows into channel calls and records what happened."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import Engine, update

from bot import outbox
from bot.clock import Clock
from bot.db import session_scope
from bot.errors import OutsideWindow, RateLimited, RecipientUnreachable
from bot.messages import Outbound
from bot.models import Contact

log = logging.getLogger(__name__)


class Sender(Protocol):
    """What a channel adapter offers the outbox worker."""

    async def send(self, message: Outbound, *, key: str) -> str | None:
        """Send one message; return the provider's message id. Raise DeliveryError subclasses."""
        ...


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        return self.sent + self.retried + self.failed


async def deliver_due(
    engine: Engine, senders: Mapping[str, Sender], clock: Clock, limit: int = 50
) -> DeliveryReport:
    """One pass: claim due rows for the channels we can send on, send them, record results."""
    report = DeliveryReport()
    rows = await asyncio.to_thread(outbox.claim, engine, clock.now(), limit, set(senders))
    for row in rows:
        await _deliver(engine, senders[row.message.channel], row, clock, report)
    return report


async def _deliver(
    engine: Engine, sender: Sender, row: outbox.Claimed, clock: Clock, report: DeliveryReport
) -> None:
    try:
        provider_id = await sender.send(row.message, key=row.key)
    except RateLimited as exc:
        await asyncio.to_thread(_retry, engine, row, str(exc), clock, exc.retry_after)
        report.retried += 1
    except RecipientUnreachable as exc:
        await asyncio.to_thread(_unreachable, engine, row, exc.reason)
        report.failed += 1
        report.errors.append(exc.reason)
    except OutsideWindow as exc:
        # The adapter already tried the template path; nothing more we can do with it.
        await asyncio.to_thread(_fail, engine, row, str(exc), "outside_window")
        report.failed += 1
        report.errors.append(str(exc))
    except Exception as exc:  # noqa: BLE001 - transient or unknown: retry, bounded
        log.warning("send failed for outbox %s (attempt %s): %s", row.id, row.attempts, exc)
        kept = await asyncio.to_thread(
            _retry, engine, row, f"{type(exc).__name__}: {exc}", clock, None
        )
        if kept:
            report.retried += 1
        else:
            report.failed += 1
            report.errors.append(str(exc))
    else:
        await asyncio.to_thread(_sent, engine, row, provider_id, clock)
        report.sent += 1


def _sent(engine: Engine, row: outbox.Claimed, provider_id: str | None, clock: Clock) -> None:
    with session_scope(engine) as session:
        outbox.mark_sent(session, row.id, provider_id, clock.now())


def _retry(
    engine: Engine, row: outbox.Claimed, error: str, clock: Clock, after: float | None
) -> bool:
    with session_scope(engine) as session:
        return outbox.mark_retry(session, row.id, row.attempts, error, clock.now(), after)


def _fail(engine: Engine, row: outbox.Claimed, error: str, code: str | None) -> None:
    with session_scope(engine) as session:
        outbox.mark_failed(session, row.id, error, code)


def _unreachable(engine: Engine, row: outbox.Claimed, reason: str) -> None:
    with session_scope(engine) as session:
        outbox.mark_failed(session, row.id, reason, "unreachable")
        if row.contact_id is not None:
            session.execute(
                update(Contact)
                .where(Contact.id == row.contact_id)
                .values(unreachable_reason=reason)
            )
