"""Sync tests use the `sim` and `sim_provider` fixtures of tests/conftest.py."""
