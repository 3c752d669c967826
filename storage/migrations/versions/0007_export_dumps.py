"""Export dumps: one row per finished export to a file, for incremental dumps (storage/dumps.py).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28

``newsarchive export --since-exported`` exports what changed after the previous dump of
the same selection; this table holds each dump's high-water marks (the largest id of
articles, versions, events and URLs when it began), its selection, files and counts.
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "export_dumps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain", sa.String(length=64), server_default="", nullable=False),
        sa.Column("selection_key", sa.String(length=64), nullable=False),
        sa.Column("selection", sa.JSON(), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("output", sa.Text(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("basis", sa.JSON(), nullable=True),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("max_article_id", sa.Integer(), nullable=False),
        sa.Column("max_version_id", sa.Integer(), nullable=False),
        sa.Column("max_event_id", sa.Integer(), nullable=False),
        sa.Column("max_url_id", sa.Integer(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_export_dumps_selection_key"), "export_dumps", ["selection_key"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_export_dumps_selection_key"), table_name="export_dumps")
    op.drop_table("export_dumps")
