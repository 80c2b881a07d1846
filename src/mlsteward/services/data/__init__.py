"""Data service: dataset versions, profiles, validation, transforms, splits, lineage, labels.

Every rule lives here once; the SDK, REST API and CLI call these functions with a
:class:`~mlsteward.services.context.ServiceContext`. Computation comes from
``mlsteward.engines.data``; records go to the store's ``DatasetStore`` half and files to the
content-addressed blob store.
"""
