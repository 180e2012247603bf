"""Urgent complaints, posted at once to SLACK_ALERT_CHANNEL with what the team can do:
acknowledge, reply to the customer (in their language), or say it is not a complaint.

An answer the analysis marked `alert_status="open"` is leased (bot.services.alert_handling
.claim_for_posting) and queued in the outbox (channel "slack"); the worker posts it
through adapters.slack.sender. Edits of a posted alert (acknowledged, replied) stay
direct chat.update calls: they answer a click the team is waiting on.
"""

from __future__ import annotations

import logging

from adapters.slack.blocks import Block, actions, button, context, escape, quote, section
from adapters.slack.labels import TeamLanguage
from adapters.slack.poster import Posted
from adapters.slack.team import SlackTeam
from bot import outbox
from bot.messages import Channel, Outbound
from bot.services import alert_handling
from bot.services.alert_handling import AlertView

log = logging.getLogger(__name__)

ACK = "alert_ack"
REPLY = "alert_reply"
NOT_COMPLAINT = "alert_not_complaint"
LOG_BLOCK = "alert-log"
#: The outbox rows' kind.
KIND = "slack_alert"


def masked(address: str) -> str:
    """Enough of an address to tell two customers apart, not enough to copy it out."""
    return address if len(address) <= 6 else f"{address[:3]}…{address[-3:]}"


def alert_blocks(view: AlertView, team: TeamLanguage, log_lines: list[str]) -> list[Block]:
    a, conv, contact, camp = view.answer, view.conversation, view.contact, view.campaign
    market = team.market(conv.market or "??")
    title = f"🚨 *Urgent complaint* · campaign #{camp.id} {escape(camp.show)} · {market}"
    said = (
        f"{quote(f'“{a.translation}”')}\n{quote(a.raw_text or '', italic=True)}"
        if a.translation
        else quote(f"“{a.raw_text or ''}”")
    )
    facts = [
        f"{team.language(a.language or conv.locale)}",
        f"category: {a.category or '?'}",
        f"sentiment: {a.sentiment_label or '?'}",
        f"urgency: {a.urgency or '?'}",
        f"{contact.channel} {escape(contact.name or '')} {masked(contact.address)}".strip(),
    ]
    if a.review_reason:
        facts.append(f"why: {escape(a.review_reason)}")
    blocks: list[Block] = [section(f"{title}\n{said}"), context(" · ".join(facts))]
    status = a.alert_status or "open"
    buttons = []
    if status == "open":
        buttons.append(button("Acknowledge", ACK, str(a.id)))
    if status in ("open", "acknowledged", "replied"):
        buttons.append(button("Reply to customer", REPLY, str(a.id), style="primary"))
    if status in ("open", "acknowledged"):
        buttons.append(button("Not a complaint", NOT_COMPLAINT, str(a.id), style="danger"))
    if buttons:
        blocks.append(actions(*buttons, block_id=f"alert:{a.id}"))
    if log_lines:
        block = context(*log_lines[-10:])
        block["block_id"] = LOG_BLOCK
        blocks.append(block)
    return blocks


def log_lines_of(message_blocks: list[Block]) -> list[str]:
    """The alert's history so far, read back from the message being updated."""
    for block in message_blocks:
        if block.get("block_id") == LOG_BLOCK:
            return [e.get("text", "") for e in block.get("elements", [])]
    return []


async def post_pending(team: SlackTeam, limit: int = 50) -> int:
    """Queue a post for each new urgent complaint (the outbox worker sends it through
    adapters.slack.sender, which records where it landed); returns how many were queued.

    A lease run out (the row still queued after CLAIM_TTL, or dead) queues another row;
    the sender posts an alert once whatever number of rows asks for it.
    """
    channel = team.settings.slack_alert_channel
    if not channel:
        return 0
    queued = 0
    engine, now = team.app.engine, team.app.clock.now()
    for answer_id in await team.db(alert_handling.claim_for_posting, engine, now, limit):
        message = Outbound(Channel.SLACK, channel, "", kind=KIND, source={"alert": answer_id})
        key = f"slack:alert:{answer_id}:{now.isoformat()}"
        if await team.db(outbox.enqueue_one, engine, key, message, kind=KIND, now=now):
            queued += 1
    return queued


async def refresh(team: SlackTeam, answer_id: int, ref: str | None, extra: list[str]) -> None:
    """Re-render the alert message from the database, its log lines plus `extra`."""
    view = await team.db(alert_handling.find, team.app.engine, answer_id)
    target = ref or (view.answer.alert_ref if view else None)
    if view is None or not target:
        return
    await team.poster.update(Posted.parse(target), alert_blocks(view, team.language, extra))
