"""Fixtures shared by every test: real servers started on loopback (tests/services.py)."""

pytest_plugins = ["tests.services"]
