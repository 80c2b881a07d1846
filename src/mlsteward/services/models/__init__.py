"""Model packaging and loading rules: manifests, signatures, hashes, ONNX exports.

These functions work on local model directories; moving them in and out of a run's
artifacts is the SDK's part (``mlsteward.models``).
"""
