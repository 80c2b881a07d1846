"""The ``mlsteward`` command line: thin Typer adapters over the SDK."""
