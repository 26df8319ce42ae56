"""jobs queue, DataStore tables, resource.datastore_active

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "job",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("result", JSON, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("started", sa.DateTime(), nullable=True),
        sa.Column("finished", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_job_state_created", "job", ["state", "created"])
    op.create_table(
        "datastore_table",
        sa.Column("resource_id", sa.String(36), primary_key=True),
        sa.Column("parquet_key", sa.Text(), nullable=True),
        sa.Column("fields", JSON, nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.Column("report", JSON, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("updated", sa.DateTime(), nullable=False),
    )
    with op.batch_alter_table("resource") as batch:
        batch.add_column(sa.Column("datastore_active", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("resource") as batch:
        batch.drop_column("datastore_active")
    op.drop_table("datastore_table")
    op.drop_table("job")
