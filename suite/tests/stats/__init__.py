"""Tests of ``suite.stats``."""
