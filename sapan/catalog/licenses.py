"""Licences a dataset may carry (seeded by the first migration)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sapan.catalog.dictize import license_dict
from sapan.catalog.models import License


def list_licenses(session: Session) -> list[dict[str, Any]]:
    return [license_dict(lic) for lic in session.scalars(select(License).order_by(License.title))]
