"""Posting digests: on demand, daily while a campaign runs, and once when it ends.

Which digests are due, and claiming each once, is bot.services.digests; this module
queues each as an outbox row (channel "slack"), which the worker sends through
adapters.slack.sender: built and rendered as Block Kit at send time, then the chart.
An on-demand digest (`postlive digest ID --post`, the Slack command) is queued the
same way and delivered at once.
"""

from __future__ import annotations

import logging
import uuid

from adapters.slack.poster import Posted, SlackError
from adapters.slack.sender import SlackSender
from adapters.slack.team import SlackTeam
from bot import outbox
from bot.delivery import DeliveryReport
from bot.messages import Channel, Outbound
from bot.models import OutboxStatus
from bot.services import delivery_now, digests

log = logging.getLogger(__name__)

KIND = "slack_digest"


async def queue_digest(
    team: SlackTeam, campaign_id: int, channel: str, *, final: bool = False, slot: str = ""
) -> str | None:
    """Queue one campaign's digest for `channel`; returns the row's key (None: already
    queued). `slot` names a scheduled digest (claimed once by bot.services.digests); an
    on-demand one gets a key of its own each time it is asked for."""
    app = team.app
    now = app.clock.now()
    kind = "final" if final else "digest"
    key = f"slack:{kind}:{campaign_id}:{channel}:{slot or uuid.uuid4().hex}"
    message = Outbound(
        Channel.SLACK, channel, "", kind=KIND, source={"digest": campaign_id, "final": final}
    )
    queued = await team.db(outbox.enqueue_one, app.engine, key, message, kind=KIND, now=now)
    return key if queued else None


async def post_digest(
    team: SlackTeam, campaign_id: int, channel: str, *, final: bool = False
) -> list[Posted]:
    """Queue one campaign's digest and deliver Slack's due rows now; returns its messages
    (empty when it could not go yet: the row stays queued and the worker retries it).
    Raises SlackError when Slack refused it for good (not_in_channel...)."""
    key = await queue_digest(team, campaign_id, channel, final=final)
    sender = team.app.senders.get(Channel.SLACK)
    if key is None or not isinstance(sender, SlackSender):
        return []
    report = await send_queued(team)
    if report.errors:
        log.warning("slack rows not delivered yet: %s", "; ".join(report.errors[:3]))
    outcome = await team.db(outbox.outcome, team.app.engine, key)
    if outcome and outcome[0] == OutboxStatus.FAILED:
        # Refused for good (the app is not in that channel...): the caller tells the user.
        raise SlackError("chat.postMessage", outcome[1] or "failed")
    return sender.posted.get(key, [])


async def send_queued(team: SlackTeam) -> DeliveryReport:
    """Deliver the Slack rows due now (what the worker would do next), nothing else."""
    app = team.app
    sender = app.senders.get(Channel.SLACK)
    if sender is None:
        return DeliveryReport()
    return await delivery_now.drain(app.engine, {Channel.SLACK: sender}, app.clock)


async def post_due(team: SlackTeam) -> int:
    """Queue the daily digests due now; returns how many."""
    channel = team.settings.slack_digest_channel
    if not channel:
        return 0
    queued = 0
    due = await team.db(
        digests.claim_due, team.app.engine, team.app.clock.now(), team.settings.team_timezone
    )
    for campaign_id in due:
        slot = team.app.clock.now().isoformat()
        if await queue_digest(team, campaign_id, channel, slot=slot):
            queued += 1
    return queued


async def post_final(team: SlackTeam, campaign_id: int) -> bool:
    channel = team.settings.slack_digest_channel
    if not channel or not await team.db(
        digests.claim_final, team.app.engine, campaign_id, team.app.clock.now()
    ):
        return False
    await queue_digest(team, campaign_id, channel, final=True, slot="final")
    return True
