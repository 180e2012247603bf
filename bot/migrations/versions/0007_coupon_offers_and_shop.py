"""coupon pools with their offer; shop sync and redemption per code

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_text = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "coupon_pool",
        sa.Column("name", _text(length=64), nullable=False),
        sa.Column("kind", _text(length=8), nullable=False),
        sa.Column("value", sa.Numeric(14, 2), nullable=False),
        sa.Column("currency", _text(length=3), nullable=True),
        sa.Column("min_order", sa.Numeric(14, 2), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("once_per_customer", sa.Boolean(), nullable=False),
        sa.Column("shop_discount_id", _text(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("orders_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "coupon_stock_warning",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("pool", _text(length=64), nullable=False),
        sa.Column("free", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Integer(), nullable=False),
        sa.Column("warned_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("campaign_id", "pool"),
    )
    with op.batch_alter_table("coupon", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shop_state", _text(length=16), nullable=True))
        batch_op.add_column(sa.Column("shop_error", _text(length=255), nullable=True))
        batch_op.add_column(sa.Column("shop_checked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("order_number", _text(length=64), nullable=True))
        batch_op.add_column(sa.Column("order_amount", sa.Numeric(14, 2), nullable=True))
        batch_op.add_column(sa.Column("order_currency", _text(length=3), nullable=True))
        batch_op.create_index("ix_coupon_shop", ["pool", "shop_state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("coupon", schema=None) as batch_op:
        batch_op.drop_index("ix_coupon_shop")
        for column in (
            "order_currency",
            "order_amount",
            "order_number",
            "redeemed_at",
            "shop_checked_at",
            "shop_error",
            "shop_state",
        ):
            batch_op.drop_column(column)
    op.drop_table("coupon_stock_warning")
    op.drop_table("coupon_pool")
