"""`bot.db.affected` counts the rows an UPDATE or DELETE changed alike on SQLite and
PostgreSQL, and refuses an INSERT, whose count psycopg reports as -1 for ON CONFLICT."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update
from sqlmodel import col

from bot.bootstrap import App
from bot.db import affected, session_scope, upsert_insert
from bot.models import AudienceMember, Contact
from tests.conftest import add_contact


def test_update_and_delete_counts_are_exact_on_this_database(app: App) -> None:
    for n in range(3):
        add_contact(app, f"+1212555010{n}", country="US" if n < 2 else "BR")
    with session_scope(app.engine) as session:
        us = update(Contact).where(col(Contact.country) == "US").values(locale="en-US")
        assert affected(session.execute(us)) == 2  # rows matched, even if unchanged
        nobody = update(Contact).where(col(Contact.country) == "JP").values(locale="ja")
        assert affected(session.execute(nobody)) == 0
        gone = delete(AudienceMember).where(col(AudienceMember.tag) == "show-1")
        assert affected(session.execute(gone)) == 3


def test_an_insert_is_refused_rather_than_miscounted(app: App) -> None:
    contact_id = add_contact(app, "+12125550100")
    with session_scope(app.engine) as session:
        table = AudienceMember.__table__  # type: ignore[attr-defined]
        insert = upsert_insert(session)(table).on_conflict_do_nothing()
        result = session.execute(insert.values(tag="show-2", contact_id=contact_id, source="t"))
        with pytest.raises(TypeError, match="RETURNING"):
            affected(result)
