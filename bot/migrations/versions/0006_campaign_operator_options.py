"""campaign: flow path, window override, test campaigns; audience member's order number

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("campaign") as batch:
        batch.add_column(
            sa.Column("flow_path", sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=True)
        )
        batch.add_column(
            sa.Column("ignore_windows", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("is_test", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    with op.batch_alter_table("audiencemember") as batch:
        batch.add_column(
            sa.Column("order_ref", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("audiencemember") as batch:
        batch.drop_column("order_ref")
    with op.batch_alter_table("campaign") as batch:
        batch.drop_column("is_test")
        batch.drop_column("ignore_windows")
        batch.drop_column("flow_path")
