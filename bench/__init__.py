"""Benchmarks (not part of the test suite). Every client of a benchmark comes from 127.0.0.1, so the
API's rate limits (per address, per token) are switched off in the servers they start."""

import os

os.environ.setdefault("SAPAN_RATE_LIMIT_ANONYMOUS", "")
os.environ.setdefault("SAPAN_RATE_LIMIT_TOKEN", "")
