"""Tests for cbec (a package so that shared helpers import as tests.*)."""
