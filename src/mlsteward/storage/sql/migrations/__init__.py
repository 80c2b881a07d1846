"""Alembic migrations for the SQL store, applied automatically when a store is opened."""
