"""harvesting: sources, jobs (runs with reports), objects (provenance of harvested datasets)

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def _source_fk() -> sa.ForeignKey:
    return sa.ForeignKey("harvest_source.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "harvest_source",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("source_type", sa.String(20), nullable=False),
        sa.Column("frequency", sa.String(20), nullable=False),
        sa.Column("config", JSON, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("next_run", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_harvest_source_next_run", "harvest_source", ["next_run"])
    op.create_table(
        "harvest_job",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("source_id", sa.String(36), _source_fk(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("started", sa.DateTime(), nullable=True),
        sa.Column("finished", sa.DateTime(), nullable=True),
        *[
            sa.Column(f"{kind}_count", sa.Integer(), nullable=False)
            for kind in ("created", "updated", "deleted", "failed", "unchanged", "skipped")
        ],
        sa.Column("bytes_fetched", sa.Integer(), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("report", JSON, nullable=False),
        sa.Column("background_job_id", sa.String(36), nullable=True),
    )
    op.create_index("ix_harvest_job_source_created", "harvest_job", ["source_id", "created"])
    op.create_table(
        "harvest_object",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("source_id", sa.String(36), _source_fk(), nullable=False),
        sa.Column("remote_id", sa.String(500), nullable=False),
        sa.Column("dataset_id", sa.String(36), nullable=False),
        sa.Column("original_url", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("metadata_modified", sa.String(40), nullable=False),
        sa.Column("harvested_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("source_id", "remote_id", name="uq_harvest_object_remote"),
    )
    op.create_index("ix_harvest_object_dataset_id", "harvest_object", ["dataset_id"])


def downgrade() -> None:
    op.drop_table("harvest_object")
    op.drop_table("harvest_job")
    op.drop_table("harvest_source")
