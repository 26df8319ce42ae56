"""Dataset search. This first version answers package_search with SQL filters; the Thai-aware
index (FTS5 / PostgreSQL full text) replaces its internals behind the same function."""
