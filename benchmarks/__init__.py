"""Benchmark scripts; `datasets` is shared with the tests."""
