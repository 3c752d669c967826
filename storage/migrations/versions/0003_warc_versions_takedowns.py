"""WARC locations per fetch, article versions, removals and reappearances.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Values read from pages have no length limit PostgreSQL should enforce (SQLite never did):
    # an over-long outlet or Content-Type was refused there, losing the article or its row.
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.alter_column("base_url", existing_type=sa.String(length=255), type_=sa.Text())
    with op.batch_alter_table("articles", schema=None) as batch_op:
        for name, length in (("section", 128), ("source_outlet", 128), ("editor", 128), ("language", 16)):
            batch_op.alter_column(name, existing_type=sa.String(length=length), type_=sa.Text())
    with op.batch_alter_table("fetches", schema=None) as batch_op:
        batch_op.alter_column("content_type", existing_type=sa.String(length=255), type_=sa.Text())
        batch_op.add_column(sa.Column("warc_file", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("warc_offset", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("warc_length", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("warc_record_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("warc_type", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("payload_digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("payload_file", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("payload_offset", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("payload_record_id", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_fetches_payload_digest"), ["payload_digest"], unique=False)
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("record_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("warc_record_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("removed_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("removal_evidence", sa.JSON(), nullable=True))
    op.create_table(
        "article_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("record_hash", sa.String(length=64), nullable=False),
        sa.Column("extractor_version", sa.String(length=32), nullable=False),
        sa.Column("warc_record_id", sa.String(length=64), nullable=True),
        sa.Column("diff_summary", sa.Text(), nullable=True),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"]),
        sa.ForeignKeyConstraint(["run_id"], ["crawl_runs.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("article_id", "version", name="uq_article_versions_article_version"),
    )
    with op.batch_alter_table("article_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_article_versions_article_id"), ["article_id"], unique=False)
    op.create_table(
        "article_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"]),
        sa.ForeignKeyConstraint(["run_id"], ["crawl_runs.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("article_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_article_events_article_id"), ["article_id"], unique=False)


def downgrade() -> None:
    op.drop_table("article_events")
    op.drop_table("article_versions")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        for name in ("removal_evidence", "removed_at", "warc_record_id", "version", "record_hash"):
            batch_op.drop_column(name)
    with op.batch_alter_table("fetches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fetches_payload_digest"))
        for name in ("payload_record_id", "payload_offset", "payload_file", "payload_digest", "warc_type",
                     "warc_record_id", "warc_length", "warc_offset", "warc_file"):
            batch_op.drop_column(name)
        batch_op.alter_column("content_type", existing_type=sa.Text(), type_=sa.String(length=255))
    with op.batch_alter_table("articles", schema=None) as batch_op:
        for name, length in (("section", 128), ("source_outlet", 128), ("editor", 128), ("language", 16)):
            batch_op.alter_column(name, existing_type=sa.Text(), type_=sa.String(length=length))
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.alter_column("base_url", existing_type=sa.Text(), type_=sa.String(length=255))
