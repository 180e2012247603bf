"""`/postlive` in Slack: the CLI's words (start, status, pause, resume, stop, digest, loop,
coupons, review, help). Only SLACK_ADMIN_USERS change campaigns (checked at the ack and
again by the services, bot.services.actors); anyone else is refused and nothing happens.

Durable (adapters.slack.durable): `pause`, `resume`, `stop` and `loop` change state, so
their ack is ONE insert of the command into inbound_event (keyed by its trigger_id: a
replay is recorded once); the inbound handler loop applies it and answers through the
command's response_url. Not durable, and why: `start` without words opens a modal (the
trigger_id expires in 3 s) and with words only shows a plan (its Start button is the
durable part); `help`, `list`, `status`, `coupons`, `review` and `digest` only read
(`digest` posts to Slack, nothing in the database); `test` sends to the operator's own
phone at once and reports what the provider said, which the team waits for.
"""

from __future__ import annotations

import argparse
import logging
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import digests, durable, review, status, views
from adapters.slack.plans import PlanSpec, UsageError, make_plan, parse_time, plan_blocks
from adapters.slack.poster import SlackError
from adapters.slack.team import SlackTeam
from bot.errors import PostliveError
from bot.models import CampaignStatus
from bot.services import campaign_control
from bot.services.actors import NotAllowed, Role, require

log = logging.getLogger(__name__)

HELP = """*postlive* — post-live surveys, digests and alerts
`/postlive start` — open the start form, or inline:
    `/postlive start post-live --audience TAG [--pool P] [--at TIME] [--show TITLE]`
`/postlive test FLOW --to ADDRESS [--locale L]` — the survey to your own phone, now
`/postlive list` — the latest campaigns
`/postlive status ID` — where every conversation and message stands
`/postlive pause ID` · `resume ID` · `stop ID` — steer a campaign
`/postlive digest ID` — post the campaign's digest and chart here
`/postlive loop THEME_ID what we did` — tell the customers who raised a theme
`/postlive coupons POOL` — codes left in a pool
`/postlive review [ID]` — answers awaiting a human decision
`/postlive help` — this text
Starting, steering and closing the loop are for SLACK_ADMIN_USERS; replying to customers,
acknowledging alerts and review decisions for SLACK_AGENT_USERS (and admins)."""

#: Subcommands that change something for customers: admins only.
CHANGES = {
    "start": "start campaigns",
    "pause": "pause campaigns",
    "resume": "resume campaigns",
    "stop": "stop campaigns",
    "loop": "close the loop with customers",
    "test": "send test surveys",
}


@dataclass
class Call:
    team: SlackTeam
    ack: AsyncAck
    respond: AsyncRespond
    client: AsyncWebClient
    body: dict[str, Any]
    args: list[str]

    @property
    def user(self) -> str:
        return str(self.body.get("user_id", ""))


def split(text: str) -> list[str]:
    """Words as a shell would split them; Slack's smart quotes and escapes undone."""
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    for smart, ascii_quote in (("“", '"'), ("”", '"'), ("‘", "'"), ("’", "'")):
        text = text.replace(smart, ascii_quote)
    return shlex.split(text)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # never sys.exit inside a web request
        raise UsageError(f"{message} — usage: `/postlive {self.prog} {self.usage_hint}`")

    usage_hint = ""


def _start_parser() -> _Parser:
    parser = _Parser(prog="start", add_help=False, exit_on_error=False)
    parser.usage_hint = "post-live --audience TAG [--pool P] [--at TIME] [--show TITLE]"
    parser.add_argument("flow")
    parser.add_argument("--audience", required=True)
    parser.add_argument("--pool")
    parser.add_argument("--at")
    parser.add_argument("--show", default="")
    return parser


def _test_parser() -> _Parser:
    parser = _Parser(prog="test", add_help=False, exit_on_error=False)
    parser.usage_hint = "post-live --to +81901234567 [--locale ja] [--channel telegram]"
    parser.add_argument("flow")
    parser.add_argument("--to", required=True)
    parser.add_argument("--locale")
    parser.add_argument("--channel")
    return parser


def _number(args: list[str], what: str, example: str) -> int:
    if len(args) < 1 or not args[0].isdigit():
        raise UsageError(f"{what} must be a number, e.g. `/postlive {example}`")
    return int(args[0])


def register(team: SlackTeam, bolt: AsyncApp) -> None:
    @bolt.command("/postlive")
    async def postlive(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        async with team.tracked():
            await dispatch(Call(team, ack, respond, client, body, []))

    @bolt.event("app_mention")
    async def mentioned(ack: AsyncAck, event: dict[str, Any], say: Any) -> None:
        async with team.tracked():
            await ack()
            await say(text=HELP, thread_ts=event.get("ts"))


async def dispatch(call: Call) -> None:
    try:
        words = split(str(call.body.get("text") or ""))
    except ValueError as exc:
        await call.ack(f"❓ I could not read that ({exc}: a quote left open?).\n{HELP}")
        return
    sub = words[0].lower() if words else "help"
    call.args = words[1:]
    handler = HANDLERS.get(sub)
    if handler is None:
        await call.ack(f"❓ Unknown subcommand `{sub[:40]}`.\n{HELP}")
        return
    try:
        if sub in CHANGES:
            # Refused before anything is acked or planned; the services check again.
            require(call.team.actor(call.user), Role.ADMIN, CHANGES[sub])
    except NotAllowed as exc:
        await call.ack(call.team.refusal(exc))
        return
    try:
        await handler(call)
    except NotAllowed as exc:
        await _say(call, call.team.refusal(exc))
    except UsageError as exc:
        await _say(call, f"❓ {exc}")
    except PostliveError as exc:
        await _say(call, f"⚠️ {exc}")
    except Exception:  # noqa: BLE001 - the team gets a line, the log gets the trace
        log.exception("/postlive %s failed", sub)
        await _say(call, f"⚠️ `/postlive {sub}` failed unexpectedly; the details are in the log.")


async def _say(call: Call, text: str) -> None:
    """Answer the command: in the ack if not yet sent, else through response_url."""
    if call.ack.response is None:
        await call.ack(text)
    else:
        await call.respond(text=text, response_type="ephemeral", replace_original=False)


async def _help(call: Call) -> None:
    await call.ack(HELP)


async def _start(call: Call) -> None:
    team = call.team
    if not call.args:
        await call.ack()
        await call.client.views_open(
            trigger_id=call.body["trigger_id"],
            view=views.start_modal(
                team, call.body.get("channel_id"), call.body.get("response_url")
            ),
        )
        return
    parsed = _start_parser().parse_args(call.args)
    spec = PlanSpec(
        flow=parsed.flow,
        audience=parsed.audience,
        pool=parsed.pool,
        at=parse_time(parsed.at, team.settings.team_timezone) if parsed.at else None,
        show=parsed.show,
    )
    await call.ack("🗓️ Planning…")
    plan = await team.db(make_plan, team.app.engine, team.app.flows, spec, team.app.clock.now())
    await call.respond(blocks=plan_blocks(plan, spec, team.language), text="Campaign plan")


async def _test(call: Call) -> None:
    """The CLI's `campaign test`: same use case (bot.services.test_send)."""
    from bot.services.test_send import send_test

    parsed = _test_parser().parse_args(call.args)
    await call.ack(f"📲 Sending {parsed.flow} to {parsed.to}…")
    sent = await send_test(
        call.team.app, parsed.flow, parsed.to, channel=parsed.channel, locale=parsed.locale
    )
    if not sent.accepted:
        raise PostliveError(f"test campaign {sent.campaign_id}: not accepted: {sent.failure}")
    await call.respond(
        text=f"test campaign {sent.campaign_id}: {sent.flow_id} in {sent.locale} sent to "
        f"{sent.address} on {sent.channel} (kept out of digests)"
    )


async def _list(call: Call) -> None:
    """The CLI's `campaign list`, newest first."""
    await call.ack()
    lines = await call.team.db(campaign_control.recent, call.team.app.engine)
    await call.respond(text="\n".join(lines) if lines else "no campaigns yet")


async def _status(call: Call) -> None:
    campaign_id = _number(call.args, "the campaign id", "status 12")
    await call.ack()
    blocks = await call.team.db(status.status_blocks, call.team, campaign_id)
    await call.respond(blocks=blocks, text=f"Campaign {campaign_id}")


def _steer(new: CampaignStatus, verb: str) -> Callable[[Call], Awaitable[None]]:
    async def steer(call: Call) -> None:
        campaign_id = _number(call.args, "the campaign id", f"{verb} 12")
        await _durably(call, {"op": "steer", "campaign": campaign_id, "status": str(new)})

    return steer


async def _durably(call: Call, payload: dict[str, Any], ack: str | None = None) -> None:
    """The ack of a state-changing command: ONE insert, keyed by its trigger_id; the
    handler loop applies it and answers through response_url."""
    data = {**payload, "user": call.user, "response_url": call.body.get("response_url")}
    key = f"c:{call.body.get('trigger_id') or ''}"
    if not await durable.record(call.team, durable.COMMAND, key, call.user, data):
        await call.ack(durable.NOT_RECORDED)
        return
    if ack:
        await call.ack(ack)
    else:
        await call.ack()


async def _digest(call: Call) -> None:
    campaign_id = _number(call.args, "the campaign id", "digest 12")
    await call.ack(f"📊 Posting the digest of campaign {campaign_id}…")
    channel = str(call.body.get("channel_id", ""))
    try:
        await digests.post_digest(call.team, campaign_id, channel)
    except SlackError as exc:
        if exc.error not in ("not_in_channel", "channel_not_found"):
            raise
        await _say(
            call,
            f"⚠️ I cannot post here ({exc.error}): invite the postlive app to "
            "this channel, or use SLACK_DIGEST_CHANNEL.",
        )


async def _loop(call: Call) -> None:
    args = list(call.args)
    theme_id = _number(args, "the theme id", "loop 7 we now show the colour in daylight")
    rest = args[1:]
    if rest[:1] == ["--message"]:
        rest = rest[1:]
    message = " ".join(rest).strip()
    if not message:
        raise UsageError("say what was done: `/postlive loop 7 we now show the colour in daylight`")
    payload = {"op": "loop", "theme": theme_id, "message": message}
    await _durably(call, payload, "📣 Telling the customers who said it…")


async def _coupons(call: Call) -> None:
    if not call.args:
        raise UsageError("name the pool: `/postlive coupons post-live`")
    pool = call.args[0]
    await call.ack()
    found = await call.team.db(campaign_control.pool_counts, call.team.app.engine, pool)
    warning = " ⚠️ empty: completions will be owed a code" if not found.free else ""
    await call.respond(text=f"🎟️ {found.slack_text(call.team.language.number)}{warning}")


async def _review(call: Call) -> None:
    campaign_id = _number(call.args, "the campaign id", "review 12") if call.args else None
    await call.ack()
    blocks = await call.team.db(review.queue_blocks, call.team, campaign_id)
    await call.respond(blocks=blocks, text="Review queue")


HANDLERS: dict[str, Callable[[Call], Awaitable[None]]] = {
    "help": _help,
    "start": _start,
    "test": _test,
    "list": _list,
    "status": _status,
    "pause": _steer(CampaignStatus.PAUSED, "pause"),
    "resume": _steer(CampaignStatus.RUNNING, "resume"),
    "stop": _steer(CampaignStatus.STOPPED, "stop"),
    "digest": _digest,
    "loop": _loop,
    "coupons": _coupons,
    "review": _review,
}
