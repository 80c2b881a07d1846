"""Thin adapters over the services: the Python SDK, the REST API and the CLI."""
