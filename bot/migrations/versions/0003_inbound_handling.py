"""inbound events handled in batches, in per-contact order

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inboundevent", schema=None) as batch_op:
        batch_op.add_column(sa.Column("not_before", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_inbound_contact", ["channel", "address", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inboundevent", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_contact")
        batch_op.drop_column("not_before")
