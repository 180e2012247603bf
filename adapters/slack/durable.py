"""Slack interactions that change state: acknowledged by ONE durable insert, applied by
the inbound handler loop, answered in Slack after the commit.

The listener (actions, views, commands) checks the role and the form in the request,
then records the interaction with `Intake.record_event` (INSERT ... ON CONFLICT DO
NOTHING on a stable Slack id: a replay is recorded once) and only then acks. The
handler loop runs `handle` inside its batch's transaction, with its session, exactly
once with the event, in each Slack user's click order; the Slack-visible outcome (the
message refreshed through response_url or chat.update, a refusal) is the AfterCommit.
A process that dies after the ack loses nothing: the event is handled at the next start.

Durable (kind, op):
    slack_action   plan_start, alert_ack, alert_not_complaint, review (confirm/change)
    slack_view     alert_reply (reply-to-customer modal), theme_adopt (adopt modal)
    slack_command  steer (pause/resume/stop), loop (`/postlive loop`)

Replies and adoptions that need a translation (an OpenAI call, never inside the
transaction) are checked in the handler, which returns `Unfinished`: the event stays
received (leased) until the follow-up has translated and queued through the engine-taking
service and marked it handled. A process that dies in between, or a translation that
fails, leaves the event to be claimed and run again after the lease; a re-run queues
nothing twice (a reply's claim key: ReplyAlreadySent; an adoption's per-customer outbox
keys: "already told"). A reply whose translation still fails at the last attempt is
reported not sent; see `_reply`, `_adopt`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from slack_sdk.webhook.async_client import AsyncWebhookClient
from sqlmodel import Session

from adapters.slack import adopt, alerts, review
from adapters.slack.blocks import clip, escape, mrkdwn, section
from adapters.slack.plans import PlanSpec
from adapters.slack.poster import Posted
from adapters.slack.team import SlackTeam
from bot import loop
from bot.errors import PostliveError
from bot.intake import AfterCommit, Unfinished
from bot.models import CampaignStatus
from bot.ratelimit import planning_rates
from bot.services import alert_handling, campaign_control, theme_adoption
from bot.services import review as reviewing
from bot.services.actors import NotAllowed
from bot.translation import TranslationError, Translator

log = logging.getLogger(__name__)

CHANNEL = "slack"
ACTION = "slack_action"
VIEW = "slack_view"
COMMAND = "slack_command"
KINDS = (ACTION, VIEW, COMMAND)
NOT_RECORDED = (
    "⚠️ That could not be recorded (database unavailable): nothing changed, please try again."
)

Op = Callable[[SlackTeam, Session, Mapping[str, Any], datetime], AfterCommit | Unfinished | None]


async def record(
    team: SlackTeam, kind: str, external_id: str, user: str, payload: dict[str, Any]
) -> bool:
    """The acknowledgement's one statement; False (logged) when the database refused it,
    so the listener tells the clicker instead of acking what was not stored. A replay
    (already recorded) is True: it was stored, once."""
    try:
        await team.db(
            team.app.intake.record_event, CHANNEL, external_id[:128], user[:128], kind, payload
        )
    except Exception:  # noqa: BLE001 - the clicker is told; nothing was stored
        log.exception("slack %s %s could not be recorded", kind, external_id)
        return False
    return True


def register_kinds(team: SlackTeam) -> None:
    """The handlers of the Slack kinds, in the App's intake (every process that runs the
    handler loop, `serve` and `worker`, builds the team and so registers them)."""

    def handler(
        session: Session, payload: Mapping[str, Any], now: datetime
    ) -> AfterCommit | Unfinished | None:
        return handle(team, session, payload, now)

    for kind in KINDS:
        team.app.intake.kinds[kind] = handler


def handle(
    team: SlackTeam, session: Session, payload: Mapping[str, Any], now: datetime
) -> AfterCommit | Unfinished | None:
    """Apply one recorded interaction inside the batch's transaction. A refusal (role
    changed since the ack, plan started already, answer gone...) rolls back its own
    savepoint and is answered after the commit; the event is handled, not retried."""
    op = OPS[str(payload["op"])]
    try:
        with session.begin_nested():
            return op(team, session, payload, now)
    except NotAllowed as exc:
        return _tell(team, payload, team.refusal(exc))
    except campaign_control.AlreadyStarted as exc:
        return _tell(team, payload, str(exc))
    except alert_handling.ReplyAlreadySent:
        log.info("reply form %s submitted again: not sent twice", payload.get("nonce"))
        return None
    except PostliveError as exc:
        return _tell(team, payload, f"⚠️ {exc}")


# -- answering in Slack (after the commit) ------------------------------------------------


async def respond(url: str | None, **message: Any) -> None:
    """Post to an interaction's response_url (valid 30 min, 5 uses)."""
    if url:
        await AsyncWebhookClient(url).send(**message)


def _tell(team: SlackTeam, payload: Mapping[str, Any], text: str) -> AfterCommit:
    """An ephemeral line to the clicker: through response_url, else a direct message."""
    url, user = payload.get("response_url"), str(payload.get("user", ""))

    async def tell() -> None:
        if url:
            await respond(url, text=text, response_type="ephemeral", replace_original=False)
        elif user:
            await team.poster.post(user, [section(text)], text)

    return tell


# -- the operations, inside the batch's transaction --------------------------------------


def _plan_start(
    team: SlackTeam, session: Session, p: Mapping[str, Any], now: datetime
) -> AfterCommit:
    user = str(p["user"])
    spec = PlanSpec.from_value(str(p["spec"]))
    c = campaign_control.start_in(
        session,
        team.app.flows,
        spec.flow,
        spec.audience,
        pool=spec.pool,
        at=spec.starts_at(now),
        now=now,
        actor=team.actor(user),
        nonce=spec.nonce or None,
        show=spec.show,
        rates=planning_rates(team.settings),
    )
    text = (
        f"✅ <@{user}> started campaign *#{c.id}* ({escape(c.show)}): "
        f"`{c.flow_id}` → audience `{c.audience_tag}`. Each market gets it at its "
        f"local hour; `/postlive status {c.id}` shows progress."
    )

    async def answer() -> None:
        await respond(
            p.get("response_url"), text=text, blocks=[section(text)], replace_original=True
        )

    return answer


def _alert_ack(
    team: SlackTeam, session: Session, p: Mapping[str, Any], _now: datetime
) -> AfterCommit:
    user, answer_id = str(p["user"]), int(p["answer"])
    changed = alert_handling.acknowledge_in(session, answer_id, actor=team.actor(user))
    history = [*p.get("log", []), *([f"👀 acknowledged by <@{user}>"] if changed else [])]
    return _refresh(team, answer_id, p.get("ref"), history)


def _alert_not_complaint(
    team: SlackTeam, session: Session, p: Mapping[str, Any], _now: datetime
) -> AfterCommit:
    user, answer_id = str(p["user"]), int(p["answer"])
    category = alert_handling.not_a_complaint_in(session, answer_id, actor=team.actor(user))
    history = [*p.get("log", []), f"🙅 <@{user}>: not a complaint (now {category})"]
    return _refresh(team, answer_id, p.get("ref"), history)


def _refresh(team: SlackTeam, answer_id: int, ref: str | None, history: list[str]) -> AfterCommit:
    async def refresh() -> None:
        await alerts.refresh(team, answer_id, ref, history)

    return refresh


def _review(team: SlackTeam, session: Session, p: Mapping[str, Any], _now: datetime) -> AfterCommit:
    user = str(p["user"])
    category = p.get("category")
    decision = reviewing.decide_in(
        session, int(p["answer"]), str(category) if category else None, actor=team.actor(user)
    )
    again = " (it had been reviewed already)" if decision.again else ""
    outcome = f"<@{user}> {decision.outcome}{again}"
    scope = p.get("scope")

    async def requeue() -> None:
        blocks = await team.db(review.queue_blocks, team, scope, outcome)
        await respond(p.get("response_url"), text=outcome, blocks=blocks, replace_original=True)

    return requeue


class TranslationFailed(Exception):
    """A reply's translation failed: raised out of the follow-up so the event is retried
    (the service alone would report the reply not sent at the first failure)."""

    def __init__(self, error: TranslationError) -> None:
        self.error = error
        super().__init__(str(error))


class _Retrying:
    """The team's translator, whose failure ends the follow-up instead of the reply."""

    def __init__(self, translator: Translator) -> None:
        self.translator = translator

    async def translate(self, text: str, target_locale: str) -> str:
        try:
            return await self.translator.translate(text, target_locale)
        except TranslationError as exc:
            raise TranslationFailed(exc) from exc


def _reply(
    team: SlackTeam, session: Session, p: Mapping[str, Any], now: datetime
) -> AfterCommit | Unfinished:
    user, answer_id, text = str(p["user"]), int(p["answer"]), str(p["text"])
    actor, nonce = team.actor(user), str(p.get("nonce") or "")
    outcome = alert_handling.reply_in(
        session,
        answer_id,
        text,
        actor=actor,
        nonce=nonce,
        team_language=team.settings.team_language,
        now=now,
        can_translate=team.translator is not None,
    )

    async def show(found: alert_handling.ReplyOutcome) -> None:
        if found.queued:
            line = f"↩️ <@{user}> replied: “{clip(escape(text), 300)}”"
            if found.text != text:
                line += f" — sent in {found.locale}: “{clip(escape(found.text), 300)}”"
            if found.note:
                line += f" ({found.note})"
        else:
            line = f"⛔ <@{user}>'s reply {found.note}"
        await alerts.refresh(team, answer_id, p.get("ref"), [*p.get("log", []), line])

    if outcome is not None:
        return functools.partial(show, outcome)
    translator = team.translator

    async def translate_and_queue() -> None:
        # After the commit, through the engine-taking service: queued once per form (the
        # claim on its key), so a re-run after a crash finds it queued and stops there.
        try:
            found = await alert_handling.reply(
                team.app.engine,
                answer_id,
                text,
                actor=actor,
                nonce=nonce,
                translator=_Retrying(translator) if translator is not None else None,
                team_language=team.settings.team_language,
                now=team.app.clock.now(),
            )
        except alert_handling.ReplyAlreadySent:
            log.info("reply form for answer %s submitted again: not sent twice", answer_id)
            return
        await show(found)

    async def not_sent(exc: Exception) -> None:
        reason = str(exc) if isinstance(exc, TranslationFailed) else repr(exc)
        await alerts.refresh(
            team,
            answer_id,
            p.get("ref"),
            [*p.get("log", []), f"⛔ <@{user}>'s reply not sent: {clip(escape(reason), 300)}"],
        )

    return Unfinished(translate_and_queue, given_up=not_sent)


def _adopt(
    team: SlackTeam, session: Session, p: Mapping[str, Any], now: datetime
) -> AfterCommit | Unfinished:
    user, theme_id, message = str(p["user"]), int(p["theme"]), str(p["message"])
    done = theme_adoption.adopt_in(
        session,
        team.app.flows,
        theme_id,
        message,
        actor=team.actor(user),
        team_language=team.settings.team_language,
        now=now,
        can_translate=team.translator is not None,
    )

    async def answer(found: tuple[loop.LoopResult, list[str]]) -> None:
        result, notes = found
        report = adopt.report(result, notes, user)
        ref = p.get("ref")
        if p.get("response_url"):  # `/postlive loop`
            await respond(p["response_url"], text=report, response_type="in_channel")
        elif ref:  # the digest's button, then the modal
            where = Posted.parse(str(ref))
            await team.poster.post(
                where.channel, [{"type": "section", "text": mrkdwn(report)}], thread_ts=where.ts
            )
            await adopt.mark_digest(team, str(ref), result.theme_id)

    if done is not None:
        return functools.partial(answer, done)

    async def translate_and_adopt() -> None:
        # Translated, then adopted and queued in one transaction; a re-run after a crash
        # finds each customer told already (their outbox key) and queues nothing twice.
        try:
            found = await adopt.adopt_theme(team, theme_id, message, user)
        except PostliveError as exc:  # a refusal (the message too long...): not retried
            await _tell(team, p, f"⚠️ {exc}")()
            return
        await answer(found)

    return Unfinished(translate_and_adopt)


def _steer(team: SlackTeam, session: Session, p: Mapping[str, Any], now: datetime) -> AfterCommit:
    user = str(p["user"])
    c = campaign_control.set_status_in(
        session, int(p["campaign"]), CampaignStatus(p["status"]), actor=team.actor(user), now=now
    )
    text = f"<@{user}>: campaign {c.id} ({c.show}) is now *{c.status}*"

    async def answer() -> None:
        await respond(p.get("response_url"), text=text, response_type="in_channel")

    return answer


OPS: dict[str, Op] = {
    "plan_start": _plan_start,
    "alert_ack": _alert_ack,
    "alert_not_complaint": _alert_not_complaint,
    "review": _review,
    "alert_reply": _reply,
    "theme_adopt": _adopt,
    "steer": _steer,
    "loop": _adopt,
}
