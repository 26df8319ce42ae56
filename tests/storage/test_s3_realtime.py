"""Real-time history on S3: the daily Parquet files are written to the bucket and DuckDB reads them
there (the polling test of tests/realtime, run again here with its fixtures)."""

from tests.realtime.conftest import dataset, keep_old_history, upstream  # noqa: F401
from tests.realtime.test_polling import test_polling_grows_history_and_updates_latest  # noqa: F401
