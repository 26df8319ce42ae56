"""Governance: data classification, the personal-data scan, audit (issue 6)."""
