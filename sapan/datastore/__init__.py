"""The DataStore: tabular resources as typed Parquet tables, queried with DuckDB."""
