"""Tests of the mlsteward command line."""
