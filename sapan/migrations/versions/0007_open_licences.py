"""Thailand's and Singapore's open licences in the licence list

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

license_table = sa.table(
    "license", sa.column("id", sa.String), sa.column("title", sa.String), sa.column("url", sa.String),
    sa.column("is_open", sa.Boolean),
)  # fmt: skip


def upgrade() -> None:
    # data.go.th publishes under the Open Government Licence - Thailand (สัญญาอนุญาตให้ใช้ข้อมูลเปิดของภาครัฐ)
    op.bulk_insert(
        license_table,
        [{"id": "ogl-th", "title": "Open Government Licence - Thailand", "url": "", "is_open": True}],
    )
    op.execute(
        license_table.update()
        .where(license_table.c.id == "sg-odl")
        .values(title="Singapore Open Data Licence v1.0")
    )


def downgrade() -> None:
    op.execute(license_table.delete().where(license_table.c.id == "ogl-th"))
    op.execute(
        license_table.update().where(license_table.c.id == "sg-odl").values(title="Singapore Open Data Licence")
    )
