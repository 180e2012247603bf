"""Privacy use cases: forget a contact (every contact at that address), export a
campaign's answers. The operator (CLI) runs them; both are admin actions."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import Engine

from bot.errors import NotFound
from bot.export import export_answers
from bot.privacy import Forgotten, find_contacts, read_address
from bot.privacy import forget as erase
from bot.services.actors import Actor, Role, require
from bot.services.unit_of_work import UnitOfWork


def forget(
    engine: Engine,
    address: str,
    *,
    actor: Actor,
    now: datetime,
    country: str | None = None,
    media_dir: str | Path | None = None,
) -> list[tuple[int, str, Forgotten]]:
    """Erase the personal data of every contact at `address` (any phone format, e-mail or
    chat id); (id, channel, report) each."""
    require(actor, Role.ADMIN, "erase customers' data")
    with UnitOfWork(engine) as uow:
        contacts = find_contacts(uow.session, address, country)
        if not contacts:
            hints = read_address(address, country).hints
            raise NotFound("contact", address + (f" ({hints[0]})" if hints else ""))
        done = [
            (int(c.id or 0), str(c.channel), erase(uow.session, c, now, media_dir))
            for c in contacts
        ]
        uow.commit()
        return done


def export(
    engine: Engine,
    campaign_id: int,
    fmt: Literal["csv", "jsonl"],
    out: Path | None,
    *,
    actor: Actor,
) -> int:
    """Write the campaign's answers (csv or jsonl) to `out` or stdout; returns the count."""
    require(actor, Role.ADMIN, "export answers")
    with UnitOfWork(engine) as uow:
        return export_answers(uow.session, campaign_id, fmt, out)
