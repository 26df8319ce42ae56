"""Backups: the whole catalogue (database rows in a portable form, the files they reference and a
manifest of checksums) in one .tar, restorable into SQLite or PostgreSQL."""
