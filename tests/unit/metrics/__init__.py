"""Tests for loadtests.metrics, one file per metric module."""
