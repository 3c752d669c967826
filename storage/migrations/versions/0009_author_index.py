"""The author index: one row per name of an article's authors (storage/authors.py).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28

Filled here from every archived article's ``authors`` by the same rule the archive writes
it with (``storage.authors.names``), in batches of articles.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BATCH = 10_000


def upgrade() -> None:
    from storage.authors import names

    op.create_table(
        "article_authors",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id"), nullable=False),
        sa.PrimaryKeyConstraint("name", "article_id"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_article_authors_article_id", "article_authors", ["article_id"])
    articles = sa.table("articles", sa.column("id", sa.Integer()), sa.column("authors", sa.JSON()))
    authors = sa.table("article_authors", sa.column("name", sa.Text()), sa.column("article_id", sa.Integer()))
    connection, last = op.get_bind(), 0
    while rows := connection.execute(sa.select(articles.c.id, articles.c.authors).where(articles.c.id > last)
                                     .order_by(articles.c.id).limit(BATCH)).all():
        last = rows[-1].id
        values = [{"name": name, "article_id": row.id} for row in rows for name in names(row.authors)]
        if values:
            connection.execute(authors.insert(), values)


def downgrade() -> None:
    op.drop_table("article_authors")
