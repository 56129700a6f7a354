"""Tests of ``suite.run``."""
