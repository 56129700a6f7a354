"""Tests of ``suite.measures``."""
