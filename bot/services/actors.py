"""Who asks for a use case, and what their role lets them do.

Roles are checked here, in the service layer, so the CLI (the operator is an admin) and
Slack (roles from SLACK_ADMIN_USERS / SLACK_AGENT_USERS) share one policy:

    admin   campaigns (start, pause, resume, stop), closing the loop (adopt a theme)
    agent   replies to customers, acknowledging alerts, review decisions
    viewer  sees everything, changes nothing

An admin may do everything an agent may.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from bot.errors import PostliveError


class Role(StrEnum):
    ADMIN = "admin"
    AGENT = "agent"
    VIEWER = "viewer"


#: What each role may do, by the permission a use case asks for.
_GRANTS: dict[Role, frozenset[Role]] = {
    Role.ADMIN: frozenset({Role.ADMIN, Role.AGENT, Role.VIEWER}),
    Role.AGENT: frozenset({Role.AGENT, Role.VIEWER}),
    Role.VIEWER: frozenset({Role.VIEWER}),
}

#: The setting that grants each role, for refusals that say how to get it.
SETTING = {Role.ADMIN: "SLACK_ADMIN_USERS", Role.AGENT: "SLACK_AGENT_USERS or SLACK_ADMIN_USERS"}


@dataclass(frozen=True)
class Actor:
    """`name` is what the records keep (`cli`, `slack:U0123`), `role` what they may do."""

    name: str
    role: Role

    def may(self, needed: Role) -> bool:
        return needed in _GRANTS[self.role]


def operator(name: str = "cli") -> Actor:
    """Whoever runs the `postlive` command holds the database: an admin."""
    return Actor(name, Role.ADMIN)


def slack_actor(user_id: str, admins: Collection[str], agents: Collection[str]) -> Actor:
    role = Role.VIEWER
    if user_id and user_id in admins:
        role = Role.ADMIN
    elif user_id and user_id in agents:
        role = Role.AGENT
    return Actor(f"slack:{user_id}"[:64], role)


class NotAllowed(PostliveError):
    """The actor's role does not allow this use case; nothing was changed."""

    def __init__(self, actor: Actor, needed: Role, what: str) -> None:
        self.actor, self.needed, self.what = actor, needed, what
        super().__init__(
            f"⛔ Only postlive {needed}s ({SETTING.get(needed, needed)}) may {what}. "
            "Nothing was changed."
        )


def require(actor: Actor, needed: Role, what: str) -> None:
    if not actor.may(needed):
        raise NotAllowed(actor, needed, what)
