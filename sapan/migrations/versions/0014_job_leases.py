"""job leases and retries: run_after (backoff), lease_until and worker (a dead worker's job is taken over)

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A constant default (SQLite adds no column with CURRENT_TIMESTAMP): jobs queued before are due now.
    op.add_column(
        "job", sa.Column("run_after", sa.DateTime(), nullable=False, server_default="1970-01-01 00:00:00")
    )
    op.add_column("job", sa.Column("lease_until", sa.DateTime(), nullable=True))
    op.add_column("job", sa.Column("worker", sa.String(length=120), nullable=True))
    op.create_index("ix_job_state_run_after", "job", ["state", "run_after"])
    op.create_index("ix_job_state_lease_until", "job", ["state", "lease_until"])
    # Jobs left running by a worker of the old code have no lease: they are queued again.
    op.execute("UPDATE job SET state = 'queued' WHERE state = 'running'")


def downgrade() -> None:
    op.drop_index("ix_job_state_lease_until", table_name="job")
    op.drop_index("ix_job_state_run_after", table_name="job")
    with op.batch_alter_table("job") as batch:
        batch.drop_column("worker")
        batch.drop_column("lease_until")
        batch.drop_column("run_after")
