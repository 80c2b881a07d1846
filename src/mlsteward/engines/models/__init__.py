"""Logged models on the local disk: manifests, signatures, hashes, loading and ONNX exports.

Everything here works on a model directory and the libraries that read it, never on a store:
moving a directory in and out of a run's artifacts is the SDK's part, recording an export in
a run the models service's. Import the submodules you need: loading the flavors' libraries
waits until a model asks for them.
"""
