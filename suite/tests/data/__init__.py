"""Tests of ``suite.data``."""
