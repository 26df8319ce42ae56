"""real-time feeds: feed settings and health, latest values, recent observations

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def _reading_columns() -> list[sa.Column]:
    return [
        sa.Column("entity", sa.String(200), nullable=False),
        sa.Column("variable", sa.String(200), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("unit", sa.String(50), nullable=False),
        sa.Column("observed_at", sa.DateTime(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "realtime_feed",
        sa.Column("resource_id", sa.String(36), sa.ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("poll_seconds", sa.Integer(), nullable=False),
        sa.Column("mapping", JSON, nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_observed_at", sa.DateTime(), nullable=True),
        sa.Column("last_received_at", sa.DateTime(), nullable=True),
        sa.Column("last_polled_at", sa.DateTime(), nullable=True),
        sa.Column("next_poll_at", sa.DateTime(), nullable=True),
        sa.Column("polling_since", sa.DateTime(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("stale", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("partitions", JSON, nullable=False),
        sa.Column("next_compact_at", sa.DateTime(), nullable=True),
        sa.Column("compacting_since", sa.DateTime(), nullable=True),
        sa.Column("created", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_realtime_feed_next_poll_at", "realtime_feed", ["next_poll_at"])
    feed_fk = ("realtime_feed.resource_id",)
    op.create_table(
        "realtime_latest",
        sa.Column("resource_id", sa.String(36), sa.ForeignKey(*feed_fk, ondelete="CASCADE"), nullable=False),
        *_reading_columns(),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("resource_id", "entity", "variable"),
    )
    op.create_table(
        "realtime_observation",
        sa.Column("resource_id", sa.String(36), sa.ForeignKey(*feed_fk, ondelete="CASCADE"), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        *_reading_columns(),
        sa.PrimaryKeyConstraint("resource_id", "seq"),
        sa.UniqueConstraint("resource_id", "entity", "variable", "observed_at", name="uq_realtime_observation_key"),
    )
    op.create_index("ix_realtime_observation_time", "realtime_observation", ["resource_id", "observed_at"])


def downgrade() -> None:
    op.drop_table("realtime_observation")
    op.drop_table("realtime_latest")
    op.drop_table("realtime_feed")
