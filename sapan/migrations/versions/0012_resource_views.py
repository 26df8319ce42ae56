"""resource views: saved charts (Vega-Lite specs over a DataStore table) and table views

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "resource_view",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("resource_id", sa.String(36), sa.ForeignKey("resource.id", ondelete="CASCADE"), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("view_type", sa.String(100), nullable=False),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("config", JSON, nullable=False),
    )
    op.create_index("ix_resource_view_resource_id", "resource_view", ["resource_id"])


def downgrade() -> None:
    op.drop_index("ix_resource_view_resource_id", "resource_view")
    op.drop_table("resource_view")
