"""live comments and the host's page

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "show_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("show", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("author_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("author_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("question_key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("question_label", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("analysis", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("show", "platform", "external_id"),
    )
    with op.batch_alter_table("show_comment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_show_comment_show"), ["show"], unique=False)
    op.create_table(
        "live_page",
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("show", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token"),
    )
    with op.batch_alter_table("live_page", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_live_page_show"), ["show"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("live_page", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_page_show"))
    op.drop_table("live_page")
    with op.batch_alter_table("show_comment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_show_comment_show"))
    op.drop_table("show_comment")
