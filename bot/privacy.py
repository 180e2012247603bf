"""Personal data: forgetting a customer, and purging what is older than the retention.

Forgetting keeps anonymous aggregates (a rating of 4 from Brazil still counts) and
removes everything that points at the person, wherever a copy lives:

    contact                 address -> random pseudonym; name, e-mail, reasons cleared
    audience membership     deleted
    conversation.answers    free-text values (kept verbatim by the engine) -> null
    answer rows             raw text, free-text value, translation, media (and their
                            transcripts and descriptions), theme labels cleared
    themes                  a theme only this customer's words made is deleted (or
                            relabelled "erased" if the team already adopted it)
    analysis cache          entries whose result quotes their words, translations,
                            transcripts or photo descriptions (bot.analysis.cache)
    inbound events          deleted (webhook payloads hold number, name and text)
    outbox rows             address -> pseudonym; text, provider id (a Telegram one
                            holds the chat id) and provider error cleared
    media files             the files their answers point at and any file named after
                            one of their messages, in MEDIA_DIR
    Slack messages          alerts showing their words are due to be edited to "erased"
                            (`erase_quotes`, through the QuoteEraser port)

After the transaction commits, `checkpoint_wal` (bot.db) truncates SQLite's -wal file,
and `secure_delete` (set on every connection) zeroes what was freed, so the old rows do
not stay on disk. The last message to a customer who asked to be forgotten ("your data
is deleted") must keep their address until it leaves; `finish_erasures` scrubs it then.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, Text, cast, delete, func, or_, update
from sqlmodel import Session, col, select

from bot import outbox
from bot.db import affected, checkpoint_wal, session_scope
from bot.media import MediaStore
from bot.models import (
    AnalysisCache,
    Answer,
    AnswerTheme,
    AudienceMember,
    Contact,
    Conversation,
    ErasureFollowUp,
    ErasureRequest,
    InboundEvent,
    Outbox,
    OutboxStatus,
    SlackQuote,
    Theme,
)
from bot.quote_eraser import QuoteEraser, QuoteGone

log = logging.getLogger(__name__)

#: Answer types whose value is the customer's own words, not an aggregate.
FREE_TEXT = ("text", "photo")
#: The kind of the last message to a customer who asked to be forgotten.
GOODBYE_KIND = "forget_confirm"
#: Outbox statuses after which a row's address is no longer needed.
_LEFT = (
    OutboxStatus.SENT,
    OutboxStatus.DELIVERED,
    OutboxStatus.READ,
    OutboxStatus.FAILED,
    OutboxStatus.CANCELLED,
)
_CHAT_ID = re.compile(r"-?\d{5,20}")


@dataclass
class Forgotten:
    contacts: int = 0
    answers_scrubbed: int = 0
    events_deleted: int = 0
    messages_scrubbed: int = 0
    files_deleted: int = 0
    cache_entries_deleted: int = 0
    themes_removed: int = 0
    slack_messages_due: int = 0


def pseudonym(contact_id: int | None) -> str:
    """Random, not a hash of the number: a phone number's hash is found by trying them all."""
    return f"forgotten:{contact_id or 0}:{secrets.token_hex(8)}"


def is_forgotten_address(address: str) -> bool:
    return address.startswith("forgotten:")


@dataclass(frozen=True)
class AddressQuery:
    """What an operator typed, read every way it can be meant."""

    addresses: tuple[str, ...] = ()
    email: str | None = None
    hints: tuple[str, ...] = field(default=())


def read_address(typed: str, country: str | None = None) -> AddressQuery:
    """'+55 11 98765-4321', '(11) 98765-4321' with country BR, 'whatsapp:+55…',
    'ana@example.com' or a Telegram chat id ('123456789', '-100…')."""
    import phonenumbers  # only the CLI needs it: not loaded with every intake

    raw = typed.strip()
    for prefix in ("whatsapp:", "telegram:", "tg:"):
        if raw.lower().startswith(prefix):
            raw = raw[len(prefix) :].strip()
    if "@" in raw:
        return AddressQuery(email=raw.casefold())
    found: list[str] = [raw]
    hints: list[str] = []
    if _CHAT_ID.fullmatch(raw):
        found.append(raw)  # a chat id is stored as typed
    region = country.upper() if country else None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_valid_number(number):
        found.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    elif not raw.startswith("+") and region is None and not _CHAT_ID.fullmatch(raw):
        hints.append("a national number needs --country (e.g. --country BR)")
    return AddressQuery(tuple(dict.fromkeys(found)), None, tuple(hints))


def find_contacts(session: Session, address: str, country: str | None = None) -> list[Contact]:
    """Every contact this address, e-mail or chat id names, whatever the channel."""
    query = read_address(address, country)
    if query.email is not None:
        where = func.lower(Contact.email) == query.email
    else:
        where = col(Contact.address).in_(query.addresses)
    rows = session.exec(select(Contact).where(where, col(Contact.forgotten_at).is_(None)))
    return list(rows.all())


def forget(
    session: Session, contact: Contact, now: datetime, media_dir: str | Path | None = None
) -> Forgotten:
    """Erase `contact` inside the caller's transaction (see the module docstring)."""
    report = Forgotten(contacts=1)
    assert contact.id is not None
    address, channel = contact.address, contact.channel
    hidden = pseudonym(contact.id)
    outbox.cancel_for_contact(session, contact.id)
    conversations = session.exec(
        select(Conversation).where(Conversation.contact_id == contact.id)
    ).all()
    answers = session.exec(
        select(Answer).where(col(Answer.conversation_id).in_([c.id for c in conversations]))
    ).all()
    words: list[str] = [w for w in (contact.name, contact.email, address) if w]
    free_by_conversation: dict[int, set[str]] = {}
    for answer in answers:
        words += _words_of(answer)
        report.files_deleted += _delete_media(answer.media)
        if answer.question_type in FREE_TEXT:
            answer.value = None
            answer.themes = []
            free_by_conversation.setdefault(answer.conversation_id, set()).add(answer.question_id)
        answer.raw_text = None
        answer.translation = None
        answer.media = []
        session.add(answer)
        report.answers_scrubbed += 1
    for conversation in conversations:
        kept = {a.question_id for a in answers if a.conversation_id == conversation.id}
        kept -= free_by_conversation.get(conversation.id or 0, set())
        # Only aggregates stay: free text, and anything no answer row explains, goes.
        conversation.answers = {
            k: (v if k in kept else None) for k, v in (conversation.answers or {}).items()
        }
        if conversation.state in ("planned", "active"):
            conversation.state = "opted_out"
        session.add(conversation)
    report.themes_removed = _forget_themes(session, [a.id for a in answers if a.id is not None])
    report.cache_entries_deleted = forget_mentions(session, words)
    events = session.exec(
        select(InboundEvent).where(InboundEvent.channel == channel, InboundEvent.address == address)
    ).all()
    if media_dir is not None:
        store = MediaStore(media_dir, 0)
        for event in events:
            for path in store.files_of(channel, event.external_id):
                path.unlink(missing_ok=True)
                report.files_deleted += 1
    for event in events:
        session.delete(event)
    report.events_deleted = len(events)
    report.messages_scrubbed = (
        affected(
            session.execute(
                update(Outbox)
                .where(
                    or_(
                        col(Outbox.contact_id) == contact.id,
                        (col(Outbox.channel) == channel) & (col(Outbox.address) == address),
                    )
                )
                .values(
                    address=hidden,
                    payload={"text": "", "forgotten": True},
                    provider_id=None,
                    last_error=None,
                )
            )
        )
        or 0
    )
    report.slack_messages_due = _slack_quotes_due(session, contact.id, answers, now)
    session.execute(delete(AudienceMember).where(col(AudienceMember.contact_id) == contact.id))
    session.execute(delete(ErasureRequest).where(col(ErasureRequest.contact_id) == contact.id))
    contact.address = hidden
    contact.name = None
    contact.email = None
    contact.consent = False
    contact.consent_source = None
    contact.unreachable_reason = None
    contact.opted_out_at = contact.opted_out_at or now
    contact.forgotten_at = now
    session.add(contact)
    session.add(ErasureFollowUp(created_at=now))  # the WAL still holds the old rows
    session.flush()
    log.info("forgot contact %s", contact.id)
    return report


def _words_of(answer: Answer) -> list[str]:
    """Every text of this answer a cache entry could quote."""
    found = [answer.raw_text, answer.translation]
    if answer.question_type in FREE_TEXT:
        found.append(answer.value)
    for item in answer.media:
        found += [item.get(k) for k in ("transcript", "description")]
    return [w for w in found if isinstance(w, str) and w.strip()]


def _forget_themes(session: Session, answer_ids: list[int]) -> int:
    """Themes only these answers made carry this customer's words in their label."""
    if not answer_ids:
        return 0
    theme_ids = set(
        session.exec(
            select(AnswerTheme.theme_id).where(col(AnswerTheme.answer_id).in_(answer_ids))
        ).all()
    )
    removed = 0
    for theme_id in theme_ids:
        others = session.exec(
            select(func.count())
            .select_from(AnswerTheme)
            .where(AnswerTheme.theme_id == theme_id, col(AnswerTheme.answer_id).notin_(answer_ids))
        ).one()
        if others:
            continue  # a theme others share is an aggregate: it stays
        theme = session.get(Theme, theme_id)
        if theme is None:
            continue
        if theme.adopted_at is not None:  # the team acted on it: keep the record, not words
            theme.label, theme.key = "erased", f"erased:{theme.id}"
            session.add(theme)
        else:
            session.execute(delete(AnswerTheme).where(col(AnswerTheme.theme_id) == theme_id))
            session.delete(theme)
        removed += 1
    return removed


def _slack_quotes_due(
    session: Session, contact_id: int, answers: Iterable[Answer], now: datetime
) -> int:
    """Alerts posted for these answers (Answer.alert_ref "channel:ts") and any message
    recorded with `remember_quote` become due for an edit to "erased"."""
    for answer in answers:
        ref = answer.alert_ref or ""
        channel, _, ts = ref.partition(":")
        if channel and ts and not ref.startswith("claim"):
            remember_quote(session, channel, ts, contact_id, now)
    session.flush()
    return (
        affected(
            session.execute(
                update(SlackQuote)
                .where(
                    col(SlackQuote.contact_id) == contact_id, col(SlackQuote.erased_at).is_(None)
                )
                .values(erase_due_at=now)
            )
        )
        or 0
    )


def remember_quote(session: Session, channel: str, ts: str, contact_id: int, now: datetime) -> None:
    """Record that the Slack message `channel`/`ts` shows this contact's words."""
    exists = session.exec(
        select(SlackQuote.id).where(
            SlackQuote.channel == channel, SlackQuote.ts == ts, SlackQuote.contact_id == contact_id
        )
    ).first()
    if exists is None:
        session.add(SlackQuote(channel=channel, ts=ts, contact_id=contact_id, created_at=now))


def _delete_media(media: list[dict[str, object]]) -> int:
    deleted = 0
    for item in media:
        stored = item.get("stored_at")
        if isinstance(stored, str) and stored and "://" not in stored:
            path = Path(stored)
            if path.is_file():
                path.unlink()
                deleted += 1
    return deleted


# -- after the erasure -----------------------------------------------------------------


async def erase_quotes(engine: Engine, eraser: QuoteEraser, now: datetime, limit: int = 50) -> int:
    """Edit every Slack message due for erasure to "erased"; returns how many were.
    A message Slack no longer has counts as done; other failures are retried later."""
    import asyncio

    def due() -> list[tuple[int, str, str]]:
        with session_scope(engine) as session:
            rows = session.exec(
                select(SlackQuote)
                .where(
                    col(SlackQuote.erase_due_at).is_not(None),
                    col(SlackQuote.erased_at).is_(None),
                    SlackQuote.attempts < 10,
                )
                .order_by(col(SlackQuote.id))
                .limit(limit)
            ).all()
            return [(r.id, r.channel, r.ts) for r in rows if r.id is not None]

    def mark(quote_id: int, done: bool) -> None:
        with session_scope(engine) as session:
            values = {"erased_at": now} if done else {"attempts": SlackQuote.attempts + 1}
            session.execute(
                update(SlackQuote).where(col(SlackQuote.id) == quote_id).values(**values)
            )

    erased = 0
    edited: set[tuple[str, str]] = set()
    for quote_id, channel, ts in await asyncio.to_thread(due):
        if (channel, ts) in edited:  # one message quoting two forgotten customers
            await asyncio.to_thread(mark, quote_id, True)
            continue
        try:
            await eraser.erase(channel, ts)
        except QuoteGone:  # deleted in Slack already: nothing shows the words any more
            await asyncio.to_thread(mark, quote_id, True)
            continue
        except Exception:  # noqa: BLE001 - Slack down: retried on the next run
            log.warning("slack message %s/%s not erased yet", channel, ts, exc_info=True)
            await asyncio.to_thread(mark, quote_id, False)
            continue
        edited.add((channel, ts))
        await asyncio.to_thread(mark, quote_id, True)
        erased += 1
    return erased


def expect_goodbye(session: Session, outbox_key: str, now: datetime) -> None:
    """The last message to a forgotten customer (outbox row `outbox_key`) keeps their
    address until it leaves; `scrub_goodbyes` removes it then."""
    session.add(ErasureFollowUp(outbox_key=outbox_key, created_at=now))


def scrub_goodbyes(session: Session) -> int:
    """Goodbyes that have left (sent, delivered, failed...) lose address, text and
    provider id; returns how many were scrubbed."""
    waiting = session.exec(
        select(ErasureFollowUp).where(col(ErasureFollowUp.outbox_key).is_not(None))
    ).all()
    scrubbed = 0
    for follow_up in waiting:
        row = session.exec(
            select(Outbox).where(Outbox.idempotency_key == follow_up.outbox_key)
        ).first()
        if row is not None and row.status not in _LEFT:
            continue  # not sent yet: it still needs the address
        if row is not None:
            row.address = pseudonym(row.contact_id)
            row.payload = {"text": "", "forgotten": True}
            row.provider_id = None
            row.last_error = None
            session.add(row)
            scrubbed += 1
        follow_up.outbox_key = None  # what is left: the WAL checkpoint
        session.add(follow_up)
    return scrubbed


def finish_erasures(engine: Engine) -> int:
    """The worker's every-minute follow-up: scrub goodbyes that left, then truncate
    SQLite's WAL so old row versions go too. A checkpoint that readers kept from
    finishing is tried again next time. Returns the goodbyes scrubbed."""
    with session_scope(engine) as session:
        scrubbed = scrub_goodbyes(session)
        due = session.exec(
            select(ErasureFollowUp.id).where(col(ErasureFollowUp.outbox_key).is_(None))
        ).all()
    if not due:
        return scrubbed
    result = checkpoint_wal(engine)
    if result is None or result[0] == 0:  # not SQLite, or the WAL is empty now
        with session_scope(engine) as session:
            session.execute(delete(ErasureFollowUp).where(col(ErasureFollowUp.id).in_(due)))
        checkpoint_wal(engine)  # the deletion above went through the WAL: empty it again
    return scrubbed


# -- retention -------------------------------------------------------------------------


@dataclass
class Purged:
    events: int = 0
    messages: int = 0
    contacts: int = 0


def purge_expired(session: Session, now: datetime, retention_days: int) -> Purged:
    """Drop personal data older than the retention: raw webhook payloads, the texts of
    messages already sent, and contacts with no activity since (forgotten)."""
    report = Purged()
    if retention_days <= 0:
        return report
    cutoff = now - timedelta(days=retention_days)
    report.events = (
        affected(
            session.execute(
                delete(InboundEvent).where(
                    col(InboundEvent.received_at) < cutoff, col(InboundEvent.status) == "handled"
                )
            )
        )
        or 0
    )
    report.messages = (
        affected(
            session.execute(
                update(Outbox)
                .where(
                    col(Outbox.created_at) < cutoff,
                    col(Outbox.status).notin_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
                )
                .values(payload={"text": "", "purged": True})
            )
        )
        or 0
    )
    stale = session.exec(
        select(Contact).where(
            col(Contact.forgotten_at).is_(None),
            col(Contact.created_at) < cutoff,
            (col(Contact.last_inbound_at).is_(None)) | (col(Contact.last_inbound_at) < cutoff),
        )
    ).all()
    for contact in stale:
        forget(session, contact, now)
        report.contacts += 1
    report.messages += scrub_goodbyes(session)
    return report


#: Shorter texts ("ok", "4") are not worth a scan: they name nobody and match everything.
MIN_MENTION = 4


def forget_mentions(session: Session, texts: Iterable[str]) -> int:
    """Delete cached results that quote any of `texts` (a forgotten customer's words,
    translations, transcripts, photo descriptions); returns how many were deleted.

    Keys are hashes, so entries are found by what their results say. The JSON column
    holds the serializer's text: both its escaped (\\u00e9) and plain spellings are
    searched. An entry deleted by mistake only costs one new analysis."""
    patterns: set[str] = set()
    for text in texts:
        text = text.strip()
        if len(text) < MIN_MENTION:
            continue
        for ascii_only in (True, False):
            spelled = json.dumps(text, ensure_ascii=ascii_only)[1:-1]
            escaped = spelled.replace("!", "!!").replace("%", "!%").replace("_", "!_")
            patterns.add(f"%{escaped}%")
    if not patterns:
        return 0
    as_text = cast(AnalysisCache.result, Text)
    keys = session.exec(
        select(AnalysisCache.key).where(or_(*(as_text.like(p, escape="!") for p in patterns)))
    ).all()
    if keys:
        session.execute(delete(AnalysisCache).where(col(AnalysisCache.key).in_(keys)))
    return len(keys)
