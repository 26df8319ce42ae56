"""search index: documents, facets, vocabulary; FTS5 on SQLite, tsvector + GIN on PostgreSQL

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Thai vowel and tone marks are Unicode Mn/Mc: they must count as parts of a token.
FTS5 = (
    "CREATE VIRTUAL TABLE search_fts USING fts5("
    "title, title_parts, tags, org, org_parts, notes, notes_parts, resources, "
    "tokenize = \"unicode61 remove_diacritics 0 categories 'L* N* Co Mn Mc'\")"
)


def upgrade() -> None:
    op.create_table(
        "search_doc",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("dataset_id", sa.String(36), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("title_sort", sa.Text(), nullable=False),
        sa.Column("title_tokens", sa.Text(), nullable=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("owner_org", sa.String(36), nullable=True),
        sa.Column("metadata_modified", sa.DateTime(), nullable=False),
        sa.Column("metadata_created", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_search_doc_name", "search_doc", ["name"])
    op.create_index("ix_search_doc_owner_org", "search_doc", ["owner_org"])
    op.create_index("ix_search_doc_metadata_modified", "search_doc", ["metadata_modified"])
    op.create_index("ix_search_doc_private_state", "search_doc", ["private", "state"])
    op.create_table(
        "search_facet",
        sa.Column("doc_id", sa.Integer(), sa.ForeignKey("search_doc.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("field", sa.String(60), primary_key=True),
        sa.Column("value", sa.String(300), primary_key=True),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_search_facet_field_value", "search_facet", ["field", "value"])
    op.create_table(
        "search_label",
        sa.Column("field", sa.String(60), primary_key=True),
        sa.Column("value", sa.String(300), primary_key=True),
        sa.Column("label", sa.Text(), nullable=False),
    )
    op.create_table(
        "search_term",
        sa.Column("term", sa.String(200), primary_key=True),
        sa.Column("df", sa.Integer(), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE search_doc ADD COLUMN tsv tsvector NOT NULL DEFAULT ''")
        op.execute("ALTER TABLE search_doc ADD COLUMN facet_keys text[] NOT NULL DEFAULT '{}'")
        op.execute("CREATE INDEX ix_search_doc_tsv ON search_doc USING gin (tsv)")
    else:
        op.execute(FTS5)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE search_fts")
    op.drop_table("search_term")
    op.drop_table("search_label")
    op.drop_table("search_facet")
    op.drop_table("search_doc")
