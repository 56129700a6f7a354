"""Tests of ``suite.experiments``."""
