"""Separate byline fields, raw byline labels, date precision and update time.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("correspondents", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("photographers", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("bylines_raw", sa.JSON(), server_default="{}", nullable=False))
        batch_op.add_column(sa.Column("published_precision", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("updated_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        for name in ("updated_at", "published_precision", "bylines_raw", "photographers", "correspondents"):
            batch_op.drop_column(name)
