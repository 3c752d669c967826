"""Incremental crawl state per URL, and the per-site crawl lock.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "url_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("payload_digest", sa.String(length=64), nullable=True),
        sa.Column("record_hash", sa.String(length=64), nullable=True),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.Column("first_seen_at", UTCDateTime(), nullable=False),
        sa.Column("last_fetched_at", UTCDateTime(), nullable=True),
        sa.Column("last_changed_at", UTCDateTime(), nullable=True),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("walked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"]),
        sa.ForeignKeyConstraint(["last_run_id"], ["crawl_runs.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("site_id", "kind", "url", name="uq_url_state_site_kind_url"),
    )
    op.create_index(op.f("ix_url_state_article_id"), "url_state", ["article_id"], unique=False)
    op.create_index(op.f("ix_fetches_warc_record_id"), "fetches", ["warc_record_id"], unique=False)
    op.create_table(
        "crawl_locks",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("acquired_at", UTCDateTime(), nullable=False),
        sa.Column("heartbeat_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["crawl_runs.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"]),
        sa.PrimaryKeyConstraint("site_id"),
    )
    # An archive crawled before this revision: its article URLs become known state, so its
    # next crawl is incremental at once: each URL's last fetch, the article it leads to (by
    # any URL the article is known under, whatever became of the last fetch), first seen at
    # its first fetch. No validators: the first revisit is a full one.
    op.execute("""
        INSERT INTO url_state (site_id, url, kind, article_id, status, outcome, reason, payload_digest,
                               record_hash, published_at, first_seen_at, last_fetched_at, last_run_id)
        SELECT f.site_id, f.site_url, 'article', COALESCE(au.article_id, f.article_id), f.status, f.outcome,
               f.reason, f.payload_digest,
               a.record_hash, a.published_at, seen.first_seen, f.fetched_at, f.run_id
        FROM (SELECT MAX(id) AS last_id, MIN(fetched_at) AS first_seen FROM fetches
              WHERE kind = 'article' AND page_number = 1 GROUP BY site_id, site_url) seen
        JOIN fetches f ON f.id = seen.last_id
        LEFT JOIN article_urls au ON au.url = f.site_url
        LEFT JOIN articles a ON a.id = COALESCE(au.article_id, f.article_id)
    """)


def downgrade() -> None:
    op.drop_index(op.f("ix_fetches_warc_record_id"), table_name="fetches")
    op.drop_table("crawl_locks")
    op.drop_index(op.f("ix_url_state_article_id"), table_name="url_state")
    op.drop_table("url_state")
