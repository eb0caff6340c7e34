"""Fakes of external services for the tests: no network beyond 127.0.0.1."""
