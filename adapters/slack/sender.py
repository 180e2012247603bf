"""Posts to the team's Slack channels as outbox rows: the `bot.delivery.Sender` for "slack".

Digests, alerts and coupon warnings are rows like every customer message, so they get
the same worker, the same pacing (bot.ratelimit: SLACK_CHANNEL_MPS per channel) and the
same bounded retry policy: a 429 raises `RateLimited(Retry-After)` and the outbox waits
it out (the SDK client here has no retry handler of its own, so nobody retries twice).

What a row carries:

- `source={"alert": answer_id}`: the alert is rendered from the database when it is
  sent and its `channel:ts` recorded on the answer (alert_handling.posted), which the
  buttons and later edits (chat.update) use. An alert already posted is not posted again.
- `source={"digest": campaign_id, "final": bool}`: the digest is built and rendered
  when sent (its messages, then its chart through files.upload_v2).
- otherwise neutral text and choices, rendered by bot.rendering with Slack's
  capabilities (sections of mrkdwn, buttons in an actions block).

Built from data at send time rather than stored: the outbox never keeps a copy of
customers' words for the team's channel (forgetting a customer needs nothing here), and
a row retried an hour later posts what is true then.

Chat.postMessage has no idempotency key and a worker that dies after Slack accepted a
post and before the commit makes it post again (no `lookup`): the window is the same
few milliseconds as for Telegram (bot.delivery). The parts of a digest already accepted
are remembered per row in this process, so a 429 on part 2 does not repost part 1.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

from adapters.slack.alerts import alert_blocks
from adapters.slack.blocks import Block, actions, button, section
from adapters.slack.digest_blocks import render
from adapters.slack.poster import Posted, Poster, SlackError, channel_limiter, web_client
from adapters.slack.team import SlackTeam
from bot import rendering
from bot.errors import Refused
from bot.messages import Outbound
from bot.rendering import Capabilities, Markup
from bot.services import alert_handling, digests

log = logging.getLogger(__name__)

#: Slack's limits as the rendering layer sees them: a section's text is 3,000 characters,
#: an actions block 25 elements, a button's text 75 characters.
CAPABILITIES = Capabilities(
    max_text=3000,
    measure=rendering.code_points,
    buttons=True,
    max_buttons=25,
    max_button_title=75,
    number_multiple=False,
    placeholder=None,
    markup=Markup.SLACK_MRKDWN,
)
_MEMORY = 1000
#: Slack errors no retry can fix: the row fails at once (bot.errors.Refused).
PERMANENT = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_blocks",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "missing_scope",
        "no_text",
        "msg_too_long",
        "too_many_attachments",
        "restricted_action",
    }
)


def blocks_of(message: Outbound) -> list[Block]:
    """A neutral message as Block Kit: one section per part, its buttons under it."""
    blocks: list[Block] = []
    for part in rendering.render(message, CAPABILITIES):
        if part.text:
            blocks.append(section(part.text))
        if part.buttons:
            blocks.append(actions(*(button(c.title, c.payload, c.payload) for c in part.buttons)))
    return blocks


class SlackSender:
    """Sends the "slack" outbox rows of one `SlackTeam`."""

    def __init__(self, team: SlackTeam) -> None:
        self.team = team
        settings = team.settings
        assert settings.slack_bot_token is not None  # SlackTeam checked
        client = web_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
        # The outbox worker paces each row (one policy: bot.ratelimit); every call of a
        # row (a digest's messages and chart) is paced here by the same limit, and a 429
        # goes back to the outbox as RateLimited.
        self.poster = Poster(
            client, channel_limiter(settings.slack_channel_mps), retry_rate_limited=False
        )
        #: idempotency key -> messages of a multi-part post already accepted.
        self._parts: OrderedDict[str, list[Posted]] = OrderedDict()
        #: idempotency key -> every message of a finished post (on-demand callers read it).
        self.posted: OrderedDict[str, list[Posted]] = OrderedDict()

    async def send(self, message: Outbound, *, key: str) -> str | None:
        try:
            return await self._send(message, key)
        except SlackError as exc:
            if exc.error in PERMANENT:
                raise Refused(exc.error, exc.detail) from exc
            raise  # unreachable, 5xx, unknown: the outbox retries, bounded

    async def _send(self, message: Outbound, key: str) -> str | None:
        source = message.source or {}
        if "alert" in source:
            return await self._alert(message.address, int(source["alert"]))
        if "digest" in source:
            return await self._digest(
                message.address, int(source["digest"]), bool(source.get("final")), key
            )
        return await self._blocks(message.address, [blocks_of(message)], key)

    async def _alert(self, channel: str, answer_id: int) -> str | None:
        team, engine = self.team, self.team.app.engine
        view = await team.db(alert_handling.find, engine, answer_id)
        if view is None:
            log.info("alert for answer %s: the answer is gone, nothing to post", answer_id)
            return None
        if view.answer.alert_ref:  # an earlier row posted it: never twice
            return view.answer.alert_ref
        posted = await self.poster.post(channel, alert_blocks(view, team.language, []))
        await team.db(alert_handling.posted, engine, answer_id, posted.ref)
        return posted.ref

    async def _digest(self, channel: str, campaign_id: int, final: bool, key: str) -> str | None:
        team, app = self.team, self.team.app
        built = await team.db(
            digests.build,
            app.engine,
            app.flows,
            campaign_id,
            token_cap=team.settings.analysis_campaign_token_cap,
            now=app.clock.now(),
        )
        messages = render(built, team.language, final=final)
        first = await self._blocks(channel, messages, key, remember=True, keep=True)
        png = await team.db(digests.chart_png, built)
        c = built.campaign
        await self.poster.upload_png(
            channel, png, f"postlive-campaign-{c.id}.png", f"Campaign {c.id} · {c.show}"[:200]
        )
        self._parts.pop(key, None)
        return first

    async def _blocks(
        self,
        channel: str,
        messages: list[list[Block]],
        key: str,
        *,
        remember: bool = False,
        keep: bool = False,
    ) -> str | None:
        """Post `messages` in order, skipping those accepted on an earlier attempt; the
        first message's `channel:ts` stands for the row. `keep`: more parts follow."""
        done = self._parts.get(key, [])
        for index, blocks in enumerate(messages):
            if index < len(done):
                continue
            posted = await self.poster.post(channel, blocks)
            if remember:
                self.team.remember_digest(posted.ref, blocks)
            done = self._remember(key, posted)
        self._keep(key, done)
        if not keep:
            self._parts.pop(key, None)
        return done[0].ref if done else None

    def _remember(self, key: str, posted: Posted) -> list[Posted]:
        done = self._parts.setdefault(key, [])
        done.append(posted)
        self._parts.move_to_end(key)
        while len(self._parts) > _MEMORY:
            self._parts.popitem(last=False)
        return done

    def _keep(self, key: str, done: list[Posted]) -> None:
        self.posted[key] = list(done)
        while len(self.posted) > _MEMORY:
            self.posted.popitem(last=False)
