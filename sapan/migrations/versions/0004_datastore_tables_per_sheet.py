"""DataStore: several tables per resource (one per workbook sheet), a text index and value counts per table

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
KEPT = "parquet_key, fields, row_count, report, error, updated"


def upgrade() -> None:
    # A new primary key: rebuild the table (works the same on SQLite and PostgreSQL).
    op.create_table(
        "datastore_table_new",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("resource_id", sa.String(36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("parquet_key", sa.Text(), nullable=True),
        sa.Column("index_key", sa.Text(), nullable=True),
        sa.Column("fields", JSON, nullable=False),
        sa.Column("value_counts", JSON, nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.Column("report", JSON, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("updated", sa.DateTime(), nullable=False),
    )
    op.execute(
        f"INSERT INTO datastore_table_new (id, resource_id, position, name, value_counts, {KEPT}) "
        f"SELECT resource_id, resource_id, 1, '', '{{}}', {KEPT} FROM datastore_table"
    )
    op.drop_table("datastore_table")
    op.rename_table("datastore_table_new", "datastore_table")
    op.create_index("ix_datastore_table_resource_id", "datastore_table", ["resource_id"])


def downgrade() -> None:
    op.create_table(
        "datastore_table_old",
        sa.Column("resource_id", sa.String(36), primary_key=True),
        sa.Column("parquet_key", sa.Text(), nullable=True),
        sa.Column("fields", JSON, nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.Column("report", JSON, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("updated", sa.DateTime(), nullable=False),
    )
    op.execute(
        f"INSERT INTO datastore_table_old (resource_id, {KEPT}) "
        f"SELECT resource_id, {KEPT} FROM datastore_table WHERE position = 1"
    )
    op.drop_index("ix_datastore_table_resource_id", "datastore_table")
    op.drop_table("datastore_table")
    op.rename_table("datastore_table_old", "datastore_table")
