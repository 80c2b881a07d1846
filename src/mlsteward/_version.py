"""The package version, single-sourced for packaging and the REST API."""

__version__ = "0.1.0"
