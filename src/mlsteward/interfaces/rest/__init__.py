"""The REST API: FastAPI routes over the tracking services (``create_app``, ``serve``).

Importing this package is cheap; FastAPI is imported by ``app`` and ``server`` only, so the
SDK's HTTP backend can share :mod:`mlsteward.interfaces.rest.wire` without loading it.
"""
