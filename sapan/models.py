"""Imports every domain's tables so Base.metadata knows them all (for Alembic and tests)."""

from sapan.accounts import models as accounts_models
from sapan.catalog import models as catalog_models
from sapan.datastore import models as datastore_models
from sapan.governance import models as governance_models
from sapan.harvest import models as harvest_models
from sapan.jobs import models as jobs_models
from sapan.realtime import models as realtime_models
from sapan.search import models as search_models

__all__ = [
    "accounts_models",
    "catalog_models",
    "datastore_models",
    "governance_models",
    "harvest_models",
    "jobs_models",
    "realtime_models",
    "search_models",
]
