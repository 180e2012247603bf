"""The use cases themselves, called as the CLI and Slack call them: a unit of work that
keeps nothing it was not told to commit, roles checked in the service (not only in the
caller), and a reply whose outbox row cannot be written is reported, never lost."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from bot import outbox
from bot.bootstrap import App
from bot.db import session_scope
from bot.errors import PostliveError
from bot.messages import Channel, Outbound
from bot.models import ActionClaim, Answer, Campaign, CampaignStatus, Contact, Outbox
from bot.services import alert_handling, campaign_control, review
from bot.services.actors import Actor, NotAllowed, Role, operator, slack_actor
from bot.services.unit_of_work import UnitOfWork
from tests.conftest import add_contact
from tests.integration.slack.test_slack_alerts import open_alert


async def reply_sorry(
    app: App, answer_id: int, nonce: str, actor: Actor
) -> alert_handling.ReplyOutcome:
    """The team replies "Sorry!" in English through the service, untranslated."""
    return await alert_handling.reply(
        app.engine,
        answer_id,
        "Sorry!",
        actor=actor,
        nonce=nonce,
        translator=None,
        team_language="en",
        now=app.clock.now(),
    )


def test_a_unit_of_work_keeps_only_what_it_commits(app: App) -> None:
    add_contact(app, "+12125550101")
    with UnitOfWork(app.engine) as uow:
        contact = uow.session.exec(select(Contact)).one()
        contact.name = "never committed"
        uow.session.add(contact)
        uow.session.flush()
    with UnitOfWork(app.engine) as uow:
        contact = uow.session.exec(select(Contact)).one()
        assert contact.name is None
        contact.name = "Ana"
        uow.session.add(contact)
        uow.commit()
    with session_scope(app.engine) as session:
        assert session.exec(select(Contact.name)).one() == "Ana"


def test_roles_come_from_the_settings_and_the_operator_is_an_admin() -> None:
    assert operator().role == Role.ADMIN
    assert slack_actor("U1", admins=["U1"], agents=["U1"]).role == Role.ADMIN
    assert slack_actor("U2", admins=["U1"], agents=["U2"]).role == Role.AGENT
    assert slack_actor("U3", admins=["U1"], agents=["U2"]).role == Role.VIEWER
    assert slack_actor("", admins=[""], agents=[""]).role == Role.VIEWER
    agent = Actor("slack:U2", Role.AGENT)
    assert agent.may(Role.AGENT) and not agent.may(Role.ADMIN)


def test_services_refuse_a_role_that_may_not_act_whoever_calls_them(app: App) -> None:
    add_contact(app, "+12125550101")
    agent = Actor("slack:U2", Role.AGENT)
    viewer = Actor("slack:U3", Role.VIEWER)
    with pytest.raises(NotAllowed, match="Only postlive admins"):
        campaign_control.start(
            app.engine,
            app.flows,
            "post-live",
            "show-1",
            pool=None,
            at=app.clock.now(),
            now=app.clock.now(),
            actor=agent,
            nonce="n1",
        )
    started = campaign_control.start(
        app.engine,
        app.flows,
        "post-live",
        "show-1",
        pool=None,
        at=app.clock.now(),
        now=app.clock.now(),
        actor=operator(),
    )
    with pytest.raises(NotAllowed):
        campaign_control.stop(app.engine, started.id or 0, actor=agent, now=app.clock.now())
    with pytest.raises(NotAllowed, match="Only postlive agents"):
        review.decide(app.engine, 1, None, actor=viewer)
    with session_scope(app.engine) as session:
        assert session.get(Campaign, started.id).status == CampaignStatus.RUNNING  # type: ignore[union-attr]
        assert session.exec(select(ActionClaim)).all() == []


def test_a_plan_nonce_starts_one_campaign(app: App) -> None:
    add_contact(app, "+12125550101")

    def start() -> Campaign:
        return campaign_control.start(
            app.engine,
            app.flows,
            "post-live",
            "show-1",
            pool=None,
            at=app.clock.now(),
            now=app.clock.now(),
            actor=operator(),
            nonce="plan-1",
        )

    first = start()
    with pytest.raises(campaign_control.AlreadyStarted) as again:
        start()
    assert again.value.campaign_id == first.id
    with session_scope(app.engine) as session:
        assert len(session.exec(select(Campaign)).all()) == 1


async def test_a_reply_whose_outbox_row_cannot_be_written_is_reported_and_changes_nothing(
    app: App,
) -> None:
    answer_id, address = open_alert(app)
    key = alert_handling.reply_key(answer_id, "form-1")
    with session_scope(app.engine) as session:  # a row already holds the key
        outbox.enqueue(
            session,
            key,
            Outbound(channel=Channel.WHATSAPP, address=address, text="x"),
            kind="other",
            now=app.clock.now(),
        )
    with pytest.raises(PostliveError, match="not queued"):
        await reply_sorry(app, answer_id, "form-1", operator())
    with session_scope(app.engine) as session:
        assert session.get(Answer, answer_id).alert_status == "open"  # type: ignore[union-attr]
        assert session.exec(select(ActionClaim)).all() == []  # the claim rolled back too
        rows = session.exec(select(Outbox).where(col(Outbox.idempotency_key) == key)).all()
        assert [r.kind for r in rows] == ["other"]


async def test_alert_handling_moves_only_along_the_transition_table(app: App) -> None:
    answer_id, _ = open_alert(app)
    agent = Actor("slack:U2", Role.AGENT)

    def status() -> str | None:
        with session_scope(app.engine) as session:
            return session.get(Answer, answer_id).alert_status  # type: ignore[union-attr]

    assert alert_handling.acknowledge(app.engine, answer_id, actor=agent) is True
    assert status() == "acknowledged"
    # A second click cannot move it again: a no-op, not an error.
    assert alert_handling.acknowledge(app.engine, answer_id, actor=agent) is False
    assert alert_handling.not_a_complaint(app.engine, answer_id, actor=agent) == "other"
    assert status() == "not_complaint"
    assert alert_handling.acknowledge(app.engine, answer_id, actor=agent) is False
    assert status() == "not_complaint"
    outcome = await reply_sorry(app, answer_id, "form-1", agent)
    assert outcome.queued and status() == "replied"


async def test_an_alert_in_a_state_outside_the_table_is_refused_and_left_alone(
    app: App,
) -> None:
    answer_id, _ = open_alert(app)
    with session_scope(app.engine) as session:
        answer = session.get(Answer, answer_id)
        assert answer is not None
        answer.alert_status = "escalated"  # written by hand, not through the table
        session.add(answer)
    with pytest.raises(PostliveError, match="unknown alert status 'escalated'"):
        alert_handling.not_a_complaint(app.engine, answer_id, actor=operator())
    with pytest.raises(PostliveError, match="unknown alert status 'escalated'"):
        await reply_sorry(app, answer_id, "form-2", operator())
    with session_scope(app.engine) as session:
        stored = session.get(Answer, answer_id)
        assert stored is not None and stored.alert_status == "escalated"
        assert stored.category == "complaint"
        assert session.exec(select(Outbox)).all() == []
        assert session.exec(select(ActionClaim)).all() == []
