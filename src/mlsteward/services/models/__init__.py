"""The models service: what acts on a stored model for a caller (ONNX export in its run).

The model files' own rules (manifests, signatures, hashes, loading, packaging) need no store
and live in ``mlsteward.engines.models``; the operations a client calls are declared in
:mod:`mlsteward.services.models.operations`.
"""
