"""Tests of ``suite.train``."""
