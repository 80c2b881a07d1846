"""The SDK's model functions: log, load, export to ONNX, evaluate, cross-validate.

They move model directories between a run's artifacts and the local disk with the SDK's
client and fluent functions, and reach the models operations through the SDK's transport;
what a model directory holds and how it is read is ``mlsteward.engines.models``.
``mlsteward.models`` is the public face of this package.
"""
