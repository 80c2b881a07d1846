"""The REST API: FastAPI routes over the services (``create_app``, ``serve``).

Importing this package is cheap; FastAPI is imported by ``app`` and ``server`` only.
"""
