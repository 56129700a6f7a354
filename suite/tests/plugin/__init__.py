"""Tests of ``suite.plugin``."""
