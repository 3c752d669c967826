"""Full-text search index (storage/search.py): unigram and bigram streams of every article.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27

Backend-specific on purpose, and so not among the models: a contentless FTS5 table on
SQLite; a table of two tsvector columns with GIN indexes on PostgreSQL. Articles
archived before this revision are indexed by ``newsarchive search`` before it searches
(and by every crawl, a bounded number at its start).
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE article_search USING fts5("
                   "uni, bi, content='', tokenize='unicode61 remove_diacritics 0')")
        return
    op.execute("CREATE TABLE article_search (article_id INTEGER PRIMARY KEY REFERENCES articles (id), "
               "uni TSVECTOR NOT NULL, bi TSVECTOR NOT NULL)")
    op.execute("CREATE INDEX ix_article_search_uni ON article_search USING GIN (uni)")
    op.execute("CREATE INDEX ix_article_search_bi ON article_search USING GIN (bi)")


def downgrade() -> None:
    op.execute("DROP TABLE article_search")
