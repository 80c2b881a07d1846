"""Data schemas (YAML-editable), their inference from a table, and validation with pandera."""
