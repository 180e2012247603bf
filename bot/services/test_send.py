"""`campaign test`: the survey to the operator's own WhatsApp or Telegram, now.

It is a campaign like any other (same planning, engine, outbox and adapters, so what
arrives is what customers will get) with three differences: it is marked `is_test`
(kept out of digests and the team's figures), it ignores the market windows, and its
coupon comes from a test pool (`<pool>-test`), so no real code is spent.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

import phonenumbers
from sqlmodel import col, select

from bot import campaigns, coupons
from bot.db import session_scope
from bot.delivery import deliver_due
from bot.errors import ConfigError, PostliveError
from bot.flows import Flow
from bot.messages import Channel
from bot.models import AudienceMember, Contact, Conversation, Outbox, OutboxStatus
from bot.windows import contact_zone

if TYPE_CHECKING:
    from bot.bootstrap import App

TEST_SOURCE = "operator test"


@dataclass(frozen=True)
class SentToSelf:
    campaign_id: int
    flow_id: str
    channel: str
    address: str
    locale: str
    coupon_pool: str | None
    #: Messages the provider accepted during this command (the intro, normally 1).
    accepted: int
    #: Why nothing was accepted, when that happened (the provider's own words).
    failure: str | None = None


def parse_address(address: str, channel: str | None = None) -> tuple[str, str]:
    """(channel, address as stored): a phone number (any format with its +country code)
    means WhatsApp, a Telegram chat id (digits) means Telegram."""
    text = address.strip().removeprefix("whatsapp:")
    if channel is None:
        if text.startswith("+"):
            channel = Channel.WHATSAPP
        elif text.lstrip("-").isdigit():
            channel = Channel.TELEGRAM
        else:
            raise ConfigError(
                f"cannot tell the channel of {address!r}: give a phone number with its "
                "+country code, a Telegram chat id, or --channel"
            )
    if channel == Channel.WHATSAPP:
        try:
            number = phonenumbers.parse(text, None)
        except phonenumbers.NumberParseException as exc:
            raise ConfigError(f"{address!r} is not a phone number with its +country code") from exc
        if not phonenumbers.is_possible_number(number):
            raise ConfigError(f"{address!r} is not a possible phone number")
        return channel, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if channel == Channel.TELEGRAM:
        if not text.lstrip("-").isdigit():
            raise ConfigError(f"{address!r} is not a Telegram chat id (digits)")
        return channel, text
    raise ConfigError(f"unknown channel {channel!r}: whatsapp or telegram")


def start_test(
    app: App, flow: Flow, channel: str, address: str, locale: str | None, flow_path: str | None
) -> tuple[int, str, str | None]:
    """Create the test campaign for one address; (campaign id, locale, test pool)."""
    missing = app.settings.missing_for(channel)
    if missing:
        raise ConfigError(f"{channel} is not configured: set {', '.join(missing)}")
    now = app.clock.now()
    pool = f"{flow.coupon.pool}-test" if flow.coupon else None
    with session_scope(app.engine) as session:
        contact = session.exec(
            select(Contact).where(Contact.channel == channel, Contact.address == address)
        ).first()
        if contact is None:
            country = _country(address) if channel == Channel.WHATSAPP else None
            contact = Contact(
                channel=channel,
                address=address,
                country=country,
                timezone=contact_zone(None, country, address) if country else None,
                created_at=now,
            )
        # The operator sends to themselves: their own say-so is the opt-in.
        contact.consent = True
        contact.consent_source = contact.consent_source or TEST_SOURCE
        if locale:
            contact.locale = locale
        session.add(contact)
        session.flush()
        reason = campaigns.skip_reason(contact)
        if reason:
            raise PostliveError(f"{address} cannot get the test: {reason}")
        assert contact.id is not None  # flushed above
        tag = f"test-{contact.id}"
        if session.get(AudienceMember, (tag, contact.id)) is None:
            session.add(AudienceMember(tag=tag, contact_id=contact.id, source=TEST_SOURCE))
            session.flush()
        if pool and coupons.counts(session, pool).free == 0:
            coupons.generate(session, pool, 5, prefix="TEST-")
        campaign = campaigns.start(
            session,
            flow,
            tag,
            now,
            now,
            coupon_pool=pool,
            show="test",
            created_by=TEST_SOURCE,
            ignore_windows=True,
            is_test=True,
            flow_path=flow_path,
        )
        chosen = campaigns.locale_for_contact(contact, flow)
        assert campaign.id is not None
        return campaign.id, chosen, pool


async def deliver_test(app: App, campaign_id: int) -> tuple[int, str | None]:
    """Start the test's conversation and deliver its intro at once through the configured
    senders, on the caller's event loop (the one `serve`'s senders live on); (messages
    the provider accepted, the failure if one was refused)."""
    await asyncio.to_thread(app.dispatcher.start_due)
    while (await deliver_due(app.engine, app.senders, app.clock, limit=50)).claimed:
        pass
    return await asyncio.to_thread(_outcome, app, campaign_id)


def _outcome(app: App, campaign_id: int) -> tuple[int, str | None]:
    with session_scope(app.engine) as session:
        rows = session.exec(
            select(Outbox.status, Outbox.last_error)
            .join(Conversation, col(Conversation.id) == Outbox.conversation_id)
            .where(Conversation.campaign_id == campaign_id)
        ).all()
    accepted = sum(
        1
        for status, _ in rows
        if status in (OutboxStatus.SENT, OutboxStatus.DELIVERED, OutboxStatus.READ)
    )
    failure = next((error for status, error in rows if status == OutboxStatus.FAILED), None)
    if not rows:
        failure = "no message was queued (see `postlive campaign status`)"
    return accepted, failure


async def send_test(
    app: App,
    flow_ref: str,
    address: str,
    *,
    channel: str | None = None,
    locale: str | None = None,
) -> SentToSelf:
    """The whole use case, as the CLI (`campaign test`) and Slack (`/postlive test`) call
    it: `flow_ref` is a flow id or the path of a flow file."""
    from bot.flow_catalog import resolve

    flow, path = await asyncio.to_thread(resolve, app.flows, flow_ref)
    chosen_channel, normalized = parse_address(address, channel)
    campaign_id, chosen_locale, pool = await asyncio.to_thread(
        start_test, app, flow, chosen_channel, normalized, locale, str(path) if path else None
    )
    accepted, failure = await deliver_test(app, campaign_id)
    return SentToSelf(
        campaign_id, flow.id, chosen_channel, normalized, chosen_locale, pool, accepted, failure
    )


def _country(address: str) -> str | None:
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(address, None)) or None
    except phonenumbers.NumberParseException:
        return None
