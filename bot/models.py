"""Database tables (SQLModel). Alembic migrations in `bot/migrations` mirror these.

Uniqueness the product relies on is enforced here, by the database, not by code paths:
one contact per (channel, address), one conversation per (campaign, contact), one answer
per (conversation, question), one coupon per conversation, one outbox row per
idempotency key, one inbound event per (channel, external id).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Numeric, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def _ts(**kw: Any) -> Any:
    return Field(default=None, sa_column_kwargs=kw, sa_type=DateTime(timezone=True))


class ConversationState(StrEnum):
    PLANNED = "planned"  # in a campaign, not yet sent
    SKIPPED = "skipped"  # never messaged: no consent, opted out, unreachable
    ACTIVE = "active"  # intro sent, questions under way
    COMPLETED = "completed"
    OPTED_OUT = "opted_out"
    EXPIRED = "expired"
    FAILED = "failed"  # the intro could not be delivered


OPEN_STATES = (ConversationState.ACTIVE,)


class CampaignStatus(StrEnum):
    SCHEDULED = "scheduled"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"
    COMPLETED = "completed"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a worker; provider call may be in flight
    SENT = "sent"  # accepted by the provider
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"  # terminal: will not be retried
    CANCELLED = "cancelled"  # e.g. the contact opted out before it left


class Contact(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("channel", "address", name="uq_contact_address"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    address: str = Field(max_length=128)
    name: str | None = Field(default=None, max_length=200)
    locale: str | None = Field(default=None, max_length=16)
    country: str | None = Field(default=None, max_length=2)
    timezone: str | None = Field(default=None, max_length=64)
    email: str | None = Field(default=None, max_length=320)
    consent: bool = False
    consent_source: str | None = Field(default=None, max_length=64)
    opted_out_at: datetime | None = _ts()
    unreachable_reason: str | None = Field(default=None, max_length=200)
    #: Last message from the customer: opens WhatsApp's 24-hour service window.
    last_inbound_at: datetime | None = _ts()
    created_at: datetime | None = _ts()
    forgotten_at: datetime | None = _ts()


class AudienceMember(SQLModel, table=True):
    """A contact belongs to the audience of a tag (a live show, an import)."""

    tag: str = Field(primary_key=True, max_length=64)
    contact_id: int = Field(primary_key=True, foreign_key="contact.id")
    source: str | None = Field(default=None, max_length=64)
    #: The shop's order number(s) this contact came with, so an answer can be matched
    #: to its order in exports.
    order_ref: str | None = Field(default=None, max_length=64)


class Campaign(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    flow_id: str = Field(max_length=64)
    flow_version: int = 1
    audience_tag: str = Field(max_length=64)
    show: str = Field(default="", max_length=200)
    coupon_pool: str | None = Field(default=None, max_length=64)
    status: str = Field(default=CampaignStatus.SCHEDULED, max_length=16)
    starts_at: datetime | None = _ts()
    created_at: datetime | None = _ts()
    ended_at: datetime | None = _ts()
    created_by: str | None = Field(default=None, max_length=64)
    #: Completions that found the coupon pool empty: the team owes these customers a code.
    coupon_shortfall: int = 0
    #: Tokens the analysis spent on this campaign's answers (capped by settings).
    analysis_prompt_tokens: int = 0
    analysis_completion_tokens: int = 0
    #: Local "HH:MM" (team's time zone) for the daily digest while the campaign runs.
    digest_time: str | None = Field(default=None, max_length=5)
    last_digest_at: datetime | None = _ts()
    #: The file the flow was read from, so `serve` finds a flow started from a path.
    flow_path: str | None = Field(default=None, max_length=1024)
    #: Intros go at once, whatever the market's local window (the operator said so).
    ignore_windows: bool = False
    #: A test send to the operator's own phone: kept out of digests and figures.
    is_test: bool = False


class Conversation(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("campaign_id", "contact_id", name="uq_conversation_contact"),
        Index("ix_conversation_due", "state", "send_at"),
        Index("ix_conversation_contact_state", "contact_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    #: No index of its own: uq_conversation_contact leads with it.
    campaign_id: int = Field(foreign_key="campaign.id")
    contact_id: int = Field(foreign_key="contact.id")
    state: str = Field(default=ConversationState.PLANNED, max_length=16)
    skip_reason: str | None = Field(default=None, max_length=200)
    locale: str = Field(default="en", max_length=16)
    market: str | None = Field(default=None, max_length=8)
    #: Index of the question awaiting an answer.
    position: int = 0
    #: Unreadable answers to the current question so far.
    retries: int = 0
    #: Every engine step gets a number: outbox idempotency keys are built from it.
    steps: int = 0
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    send_at: datetime | None = _ts()
    sent_at: datetime | None = _ts()
    started_at: datetime | None = _ts()
    last_activity_at: datetime | None = _ts()
    reminded_at: datetime | None = _ts()
    completed_at: datetime | None = _ts()


class Answer(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("conversation_id", "question_id", name="uq_answer"),)

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    question_id: str = Field(max_length=32)
    question_type: str = Field(max_length=16)
    #: Exactly what the customer sent, never altered.
    raw_text: str | None = Field(default=None, sa_type=Text)
    value: str | None = Field(default=None, sa_type=Text)
    skipped: bool = False
    media: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    locale: str | None = Field(default=None, max_length=16)
    created_at: datetime | None = _ts()
    # Filled by bot/analysis; the original stays in raw_text beside the translation.
    language: str | None = Field(default=None, max_length=16)
    translation: str | None = Field(default=None, sa_type=Text)
    category: str | None = Field(default=None, max_length=32)
    sentiment_label: str | None = Field(default=None, max_length=16)
    sentiment_score: float | None = None
    themes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    urgency: str | None = Field(default=None, max_length=16)
    confidence: float | None = None
    analyzer: str | None = Field(default=None, max_length=64)
    analyzed_at: datetime | None = _ts()
    #: pending (awaiting a human), confirmed, corrected; None when no review was needed.
    review_status: str | None = Field(default=None, max_length=16)
    review_reason: str | None = Field(default=None, max_length=200)
    #: For urgent complaints: open, acknowledged, replied, not_complaint.
    alert_status: str | None = Field(default=None, max_length=16)
    #: Where the alert was posted (Slack channel:ts), so buttons can update it.
    alert_ref: str | None = Field(default=None, max_length=64)
    #: When a poster took the alert to post it (its lease); a lease older than the TTL
    #: belongs to a poster that died, and the alert is taken again.
    alert_claimed_at: datetime | None = _ts()


class Coupon(SQLModel, table=True):
    __table_args__ = (
        Index("ix_coupon_free", "pool", "conversation_id"),
        Index("ix_coupon_shop", "pool", "shop_state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    pool: str = Field(max_length=64)
    code: str = Field(max_length=64, unique=True)
    #: Unique: the database, not the code, guarantees one coupon per conversation.
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id", unique=True)
    assigned_at: datetime | None = _ts()
    expires_at: datetime | None = _ts()
    #: Whether the shop knows this code (bot.coupons.ShopState); None: no shop sync.
    shop_state: str | None = Field(default=None, max_length=16)
    shop_error: str | None = Field(default=None, max_length=255)
    shop_checked_at: datetime | None = _ts()
    #: Set from a shop's orders (export file or Shopify's orders query).
    redeemed_at: datetime | None = _ts()
    order_number: str | None = Field(default=None, max_length=64)
    order_amount: Decimal | None = Field(default=None, sa_type=Numeric(14, 2))
    order_currency: str | None = Field(default=None, max_length=3)


class CouponPool(SQLModel, table=True):
    """What a pool's codes are worth at checkout; the shop's discount carries the same."""

    __tablename__ = "coupon_pool"

    name: str = Field(primary_key=True, max_length=64)
    #: "percent" or "amount".
    kind: str = Field(max_length=8)
    value: Decimal = Field(sa_type=Numeric(14, 2))
    #: ISO 4217; required for an amount, and for a minimum order.
    currency: str | None = Field(default=None, max_length=3)
    min_order: Decimal | None = Field(default=None, sa_type=Numeric(14, 2))
    expires_at: datetime | None = _ts()
    once_per_customer: bool = True
    #: The Shopify discount (gid://shopify/DiscountCodeNode/...) the codes belong to.
    shop_discount_id: str | None = Field(default=None, max_length=128)
    created_at: datetime | None = _ts()
    orders_checked_at: datetime | None = _ts()


class CouponStockWarning(SQLModel, table=True):
    """The team was told this campaign's pool would run out: told once, not every minute."""

    __tablename__ = "coupon_stock_warning"

    campaign_id: int = Field(primary_key=True, foreign_key="campaign.id")
    pool: str = Field(primary_key=True, max_length=64)
    free: int
    expected: int
    warned_at: datetime | None = _ts()


class Outbox(SQLModel, table=True):
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=128, unique=True)
    channel: str = Field(max_length=16)
    address: str = Field(max_length=128)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id", index=True)
    kind: str = Field(max_length=32)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=OutboxStatus.PENDING, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime | None = _ts()
    claimed_until: datetime | None = _ts()
    last_error: str | None = Field(default=None, sa_type=Text)
    error_code: str | None = Field(default=None, max_length=32)
    provider_id: str | None = Field(default=None, max_length=64, index=True)
    created_at: datetime | None = _ts()
    sent_at: datetime | None = _ts()
    delivered_at: datetime | None = _ts()


class InboundEvent(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_inbound_external"),
        Index("ix_inbound_pending", "status", "received_at"),
        # The ordering rule asks "does this contact have an older unhandled event?"
        Index("ix_inbound_contact", "channel", "address", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=128)
    address: str | None = Field(default=None, max_length=128)
    kind: str = Field(default="message", max_length=32)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="received", max_length=16)
    error: str | None = Field(default=None, sa_type=Text)
    attempts: int = 0
    received_at: datetime | None = _ts()
    handled_at: datetime | None = _ts()
    #: A failed or too-early event is not claimed again before this time.
    not_before: datetime | None = _ts()


class Theme(SQLModel, table=True):
    """A consolidated theme of a campaign ("colour differs from the stream"), in the team's
    language; answers in any language link to it. Adopting it closes the loop."""

    __table_args__ = (UniqueConstraint("campaign_id", "key", name="uq_theme_key"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    #: Normalized phrase used to merge themes across digest runs.
    key: str = Field(max_length=200)
    label: str = Field(max_length=200)
    category: str | None = Field(default=None, max_length=32)
    created_at: datetime | None = _ts()
    adopted_at: datetime | None = _ts()
    adopted_by: str | None = Field(default=None, max_length=64)
    #: What the team did, as told to the customers ("you said, we did").
    loop_message: str | None = Field(default=None, sa_type=Text)


class AnswerTheme(SQLModel, table=True):
    answer_id: int = Field(primary_key=True, foreign_key="answer.id")
    theme_id: int = Field(primary_key=True, foreign_key="theme.id", index=True)


class AnalysisCache(SQLModel, table=True):
    """Analysis results by hash of (text, prompt version, model): nothing is paid twice."""

    key: str = Field(primary_key=True, max_length=64)
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime | None = _ts()


class Show(SQLModel, table=True):
    """A live show's join code: customers who send it (Telegram deep link, WhatsApp
    click-to-chat text) join its audience with recorded consent."""

    code: str = Field(primary_key=True, max_length=64)
    audience_tag: str = Field(max_length=64)
    title: str = Field(default="", max_length=200)
    created_at: datetime | None = _ts()


class ErasureRequest(SQLModel, table=True):
    """A customer asked to delete their data and was asked to confirm; nothing is erased
    until they do (bot.erasure_request). Holds ids only, no words."""

    contact_id: int = Field(primary_key=True, foreign_key="contact.id")
    #: The platform id of the message that asked: keys the question sent back.
    external_id: str = Field(max_length=128)
    asked_at: datetime | None = _ts()


class ErasureFollowUp(SQLModel, table=True):
    """Work left after an erasure commits (bot.privacy.finish_erasures): scrub the goodbye
    message once it has left (outbox_key), truncate SQLite's WAL (every row). A small
    queue, so the every-minute job never scans the outbox. Holds no personal data."""

    id: int | None = Field(default=None, primary_key=True)
    outbox_key: str | None = Field(default=None, max_length=128)
    created_at: datetime | None = _ts()


class SlackQuote(SQLModel, table=True):
    """A Slack message that shows a customer's words. When the customer is forgotten it
    is due to be edited to "erased" (erase_due_at), then marked done (erased_at)."""

    __table_args__ = (
        UniqueConstraint("channel", "ts", "contact_id", name="uq_slack_quote"),
        Index("ix_slack_quote_due", "erased_at", "erase_due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    ts: str = Field(max_length=32)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    created_at: datetime | None = _ts()
    erase_due_at: datetime | None = _ts()
    erased_at: datetime | None = _ts()
    attempts: int = 0


class ActionClaim(SQLModel, table=True):
    """A team action that must happen once, whoever delivers it: a plan's Start click
    (`plan:{nonce}`), a reply written in one form (`alert-reply:{answer}:{nonce}`). The
    key is the primary key, so two app instances, a restart or a replayed signed request
    cannot claim it twice; the claim is written in the transaction that does the work."""

    __tablename__ = "action_claim"

    key: str = Field(primary_key=True, max_length=128)
    kind: str = Field(max_length=32)
    actor: str = Field(max_length=64)
    #: What the claim produced (a campaign id, an outbox key), to tell a second click.
    outcome: str | None = Field(default=None, max_length=128)
    claimed_at: datetime | None = _ts()


class ShowComment(SQLModel, table=True):
    """Every live comment, kept with its show: the radar's memory after the show, the
    source of the digest's "what viewers asked" and of the after-show analysis."""

    __tablename__ = "show_comment"
    __table_args__ = (UniqueConstraint("show", "platform", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    show: str = Field(max_length=64, index=True)
    platform: str = Field(max_length=32)
    #: The platform's comment id, or a digest of author, time and text (exports).
    external_id: str = Field(max_length=128)
    author_id: str = Field(max_length=128)
    author_name: str = Field(default="", max_length=200)
    text: str = Field(sa_type=Text)
    language: str | None = Field(default=None, max_length=16)
    at: datetime | None = _ts()
    #: The radar's grouping key when it read a question ("price", "shipping:BR").
    question_key: str | None = Field(default=None, max_length=120)
    question_label: str | None = Field(default=None, max_length=300)
    #: When the host marked the question answered on the live page.
    answered_at: datetime | None = _ts()
    #: The after-show analysis (category, sentiment, themes), as the analyzer said it.
    analysis: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class LivePage(SQLModel, table=True):
    """The host's page for a show: an unguessable token, so the link can be shared."""

    __tablename__ = "live_page"

    token: str = Field(primary_key=True, max_length=64)
    show: str = Field(max_length=64, index=True)
    created_at: datetime | None = _ts()
