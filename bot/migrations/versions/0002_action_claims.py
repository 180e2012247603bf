"""action claims (durable plan nonces and reply keys); the alert lease as a timestamp

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "action_claim",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("answer") as batch:
        batch.add_column(sa.Column("alert_claimed_at", sa.DateTime(timezone=True), nullable=True))
    # Leases used to be kept in alert_ref as "claim:<time>" text: an unfinished one is
    # dropped, so the alert is simply posted again.
    op.execute("UPDATE answer SET alert_ref = NULL WHERE alert_ref LIKE 'claim:%'")


def downgrade() -> None:
    with op.batch_alter_table("answer") as batch:
        batch.drop_column("alert_claimed_at")
    op.drop_table("action_claim")
