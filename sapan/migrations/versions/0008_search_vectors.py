"""Cross-lingual search: a sentence vector per dataset, and the index's counters

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_vector",
        sa.Column("dataset_id", sa.String(36), primary_key=True),
        sa.Column("text_hash", sa.String(32), nullable=False),
        sa.Column("thai", sa.Boolean(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_search_vector_generation", "search_vector", ["generation"])
    op.create_table(
        "search_meta",
        sa.Column("name", sa.String(60), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("search_meta")
    op.drop_index("ix_search_vector_generation", "search_vector")
    op.drop_table("search_vector")
