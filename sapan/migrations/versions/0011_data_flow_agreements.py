"""data-flow agreements: partner portals, what may cross to them, their tokens

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "data_flow_agreement",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(90), nullable=False, unique=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("base_url", sa.Text(), nullable=False),
        sa.Column("allowed_data_categories", JSON, nullable=False),
        sa.Column("allowed_classifications", JSON, nullable=False),
        sa.Column("purposes", JSON, nullable=False),
        sa.Column("licence_conditions", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("user.id", ondelete="CASCADE"), nullable=False,
                  unique=True),  # fmt: skip
        sa.Column("token_id", sa.String(36), sa.ForeignKey("api_token.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("data_flow_agreement")
