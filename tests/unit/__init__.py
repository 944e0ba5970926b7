"""Unit tests: pure functions, no network, no locust."""
