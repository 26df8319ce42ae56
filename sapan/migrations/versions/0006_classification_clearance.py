"""classification levels on datasets and the search index, clearances on memberships, personal-data
scan results on DataStore tables

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    for table in ("dataset", "search_doc", "membership"):
        column = "clearance" if table == "membership" else "level"
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(column, sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("datastore_table") as batch:
        batch.add_column(sa.Column("personal_data", JSON, nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("datastore_table") as batch:
        batch.drop_column("personal_data")
    for table in ("dataset", "search_doc", "membership"):
        column = "clearance" if table == "membership" else "level"
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
