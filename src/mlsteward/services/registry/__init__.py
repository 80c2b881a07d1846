"""Registry services: models, versions, aliases, stages, approvals, gates and model cards.

Every registry rule lives in these modules; the SDK, REST API and CLI only call them.
"""
