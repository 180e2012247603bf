""" "You said, we did": the team adopts a theme and every customer who raised it hears back.

Each contributor gets the flow's `loop` text in their own locale, through their own
channel, once: the outbox key `loop:{theme}:{contact}` is unique, so adopting twice (or
two people clicking at once) queues nothing more. It is a business-initiated message, so
it carries the flow's WhatsApp `loop` template, and it waits for the customer's local
send window. Customers who opted out, asked to be forgotten or cannot be reached are
skipped, with the reason counted for the team.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from bot import outbox
from bot.campaigns import skip_reason
from bot.db import affected
from bot.errors import NotFound, PostliveError
from bot.flows import Flow
from bot.messages import Channel, Outbound, Template
from bot.models import Answer, AnswerTheme, Campaign, Contact, Conversation, Outbox, Theme
from bot.windows import next_send_time

MAX_MESSAGE = 1000


class LoopError(PostliveError):
    """A loop message that cannot be sent as asked (empty, too long)."""


@dataclass
class LoopResult:
    theme_id: int
    label: str
    message: str
    contributors: int = 0
    queued: int = 0
    #: Contributors who had already been told (an earlier adoption).
    already_told: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    #: The theme was adopted before this call; its first message was kept.
    already_adopted: bool = False

    def summary(self) -> str:
        parts = [f"theme {self.theme_id} “{self.label}”: {self.queued} customers will be told"]
        if self.already_told:
            parts.append(f"{self.already_told} already told")
        parts.extend(f"{n} skipped ({reason})" for reason, n in self.skipped.most_common())
        if self.already_adopted:
            parts.append("already adopted: the first message was kept")
        return "; ".join(parts)


@dataclass(frozen=True)
class Contributor:
    contact: Contact
    locale: str


def contributors(session: Session, theme_id: int) -> list[Contributor]:
    """Each customer whose reviewed (or unreviewed, confident) answer raised the theme."""
    rows = session.exec(
        select(Contact, Conversation.locale)
        .join(Conversation, col(Conversation.contact_id) == Contact.id)
        .join(Answer, col(Answer.conversation_id) == Conversation.id)
        .join(AnswerTheme, col(AnswerTheme.answer_id) == Answer.id)
        .where(
            AnswerTheme.theme_id == theme_id,
            or_(col(Answer.review_status).is_(None), col(Answer.review_status) != "pending"),
        )
        .order_by(col(Contact.id))
    ).all()
    seen: dict[int, Contributor] = {}
    for contact, locale in rows:
        assert contact.id is not None
        seen.setdefault(contact.id, Contributor(contact, locale))
    return list(seen.values())


def theme(session: Session, theme_id: int) -> Theme:
    found = session.get(Theme, theme_id)
    if found is None:
        raise NotFound("theme", theme_id)
    return found


def adopt(
    session: Session,
    flows: Mapping[str, Flow],
    theme_id: int,
    message: str,
    *,
    by: str,
    now: datetime,
    localized: Mapping[str, tuple[str, str]] | None = None,
) -> LoopResult:
    """Mark the theme adopted and queue one loop message per contributor.

    `localized` maps a locale to (theme, message) already in that language (the caller
    translated them); other locales get the team's words inside the localized frame.
    """
    message = message.strip()
    if not message:
        raise LoopError("say what was done: the loop message is empty")
    if len(message) > MAX_MESSAGE:
        raise LoopError(
            f"the loop message is {len(message)} characters; keep it under {MAX_MESSAGE}"
        )
    found = theme(session, theme_id)
    claimed = affected(
        session.execute(
            update(Theme)
            .where(col(Theme.id) == theme_id, col(Theme.adopted_at).is_(None))
            .values(adopted_at=now, adopted_by=by[:64], loop_message=message)
        )
    )
    session.refresh(found)
    result = LoopResult(theme_id, found.label, found.loop_message or message)
    result.already_adopted = not claimed
    campaign = session.get(Campaign, found.campaign_id)
    flow = flows.get(campaign.flow_id) if campaign else None
    if flow is None:
        raise NotFound("flow of campaign", found.campaign_id)
    # Who was told already, read first: enqueue's own answer is not reliable on every
    # driver (psycopg reports rowcount -1 for INSERT ... ON CONFLICT through the ORM).
    told = set(
        session.exec(
            select(Outbox.idempotency_key).where(
                col(Outbox.idempotency_key).startswith(f"loop:{theme_id}:")
            )
        ).all()
    )
    for person in contributors(session, theme_id):
        result.contributors += 1
        reason = skip_reason(person.contact)
        if reason:
            result.skipped[reason] += 1
            continue
        theme_text, message_text = (localized or {}).get(
            person.locale, (found.label, result.message)
        )
        if f"loop:{theme_id}:{person.contact.id}" in told:
            result.already_told += 1
            continue
        # The unique key still guards a concurrent adoption: at most one row per customer.
        _enqueue(session, flow, person, theme_id, theme_text, message_text, now)
        result.queued += 1
    return result


def _enqueue(
    session: Session,
    flow: Flow,
    person: Contributor,
    theme_id: int,
    theme_text: str,
    message_text: str,
    now: datetime,
) -> None:
    contact = person.contact
    variables = {"theme": theme_text, "message": message_text}
    ref = flow.template("loop", person.locale)
    message = Outbound(
        channel=Channel(contact.channel),
        address=contact.address,
        text=flow.text("loop", person.locale).format(**variables),
        template=Template(ref, variables) if ref else None,
        business_initiated=True,
        kind="loop",
    )
    window = flow.market(contact.country).window
    outbox.enqueue(
        session,
        f"loop:{theme_id}:{contact.id}",
        message,
        kind="loop",
        now=now,
        contact_id=contact.id,
        not_before=next_send_time(now, contact.timezone, window),
    )
