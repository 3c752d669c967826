"""Stories (copies of one report across sites) and the near-duplicate band index.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27

Articles archived before this revision have no story yet: the next crawl (or
``newsarchive stories``) indexes them, oldest first, before anything new is stored.
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sites", sa.Column("outlet", sa.Text(), nullable=True))
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=32), nullable=False),
        sa.Column("original_article_id", sa.Integer(), nullable=True),
        sa.Column("first_published_at", UTCDateTime(), nullable=True),
        sa.Column("copies", sa.Integer(), server_default="1", nullable=False),
        sa.Column("outlets", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["merged_into_id"], ["stories.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uid"),
    )
    op.create_index("ix_stories_copies_published", "stories", ["copies", "first_published_at"], unique=False)
    op.create_table(
        "article_bands",
        sa.Column("band_key", sa.BigInteger(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"]),
        sa.PrimaryKeyConstraint("band_key", "article_id"),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_article_bands_article_id"), "article_bands", ["article_id"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a referencing column in place; Alembic's batch mode would copy the whole
        # articles table (gigabytes in a large archive) to add the constraint
        op.execute("ALTER TABLE articles ADD COLUMN story_id INTEGER REFERENCES stories (id)")
        op.add_column("articles", sa.Column("story_similarity", sa.Float(), nullable=True))
        op.add_column("articles", sa.Column("signature", sa.LargeBinary(), nullable=True))
    else:
        op.add_column("articles", sa.Column("story_id", sa.Integer(), nullable=True))
        op.add_column("articles", sa.Column("story_similarity", sa.Float(), nullable=True))
        op.add_column("articles", sa.Column("signature", sa.LargeBinary(), nullable=True))
        op.create_foreign_key("fk_articles_story_id_stories", "articles", "stories", ["story_id"], ["id"])
    op.create_index(op.f("ix_articles_story_id"), "articles", ["story_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_articles_story_id"), table_name="articles")
    with op.batch_alter_table("articles") as batch:  # on SQLite a copy of the table, without the columns
        if op.get_bind().dialect.name != "sqlite":
            batch.drop_constraint("fk_articles_story_id_stories", type_="foreignkey")
        batch.drop_column("signature")
        batch.drop_column("story_similarity")
        batch.drop_column("story_id")
    op.drop_index(op.f("ix_article_bands_article_id"), table_name="article_bands")
    op.drop_table("article_bands")
    op.drop_index("ix_stories_copies_published", table_name="stories")
    op.drop_table("stories")
    op.drop_column("sites", "outlet")
