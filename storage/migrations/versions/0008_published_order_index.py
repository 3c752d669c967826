"""Articles in publication order: an index for search sorted by date.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28

Newest first, undated last, as `newsarchive search --sort date` lists them: a search for a
common term then reads the newest articles and checks each against the search index,
instead of sorting every match (storage/search.py). Backend-specific, and so not among
the models: SQLite puts undated (NULL) last in a descending index by itself and refuses
NULLS LAST there; PostgreSQL needs it said.
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    nulls = "" if op.get_bind().dialect.name == "sqlite" else " NULLS LAST"
    op.execute(f"CREATE INDEX ix_articles_published ON articles (published_at DESC{nulls}, id DESC)")


def downgrade() -> None:
    op.drop_index("ix_articles_published", table_name="articles")
