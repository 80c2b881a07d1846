"""Plugins: model flavors (and later stores, drift tests) discovered through entry points."""
