"""erasure: pending requests, follow-ups, Slack messages that quote a customer

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erasurerequest",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.PrimaryKeyConstraint("contact_id"),
    )
    op.create_table(
        "erasurefollowup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "slackquote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("erase_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "ts", "contact_id", name="uq_slack_quote"),
    )
    with op.batch_alter_table("slackquote", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_slackquote_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index("ix_slack_quote_due", ["erased_at", "erase_due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("slackquote", schema=None) as batch_op:
        batch_op.drop_index("ix_slack_quote_due")
        batch_op.drop_index(batch_op.f("ix_slackquote_contact_id"))
    op.drop_table("slackquote")
    op.drop_table("erasurefollowup")
    op.drop_table("erasurerequest")
