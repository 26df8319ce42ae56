"""Background work (ingest, later harvest and re-index) with progress, persisted in the database."""
