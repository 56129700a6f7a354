"""Tests of ``suite.report``."""
