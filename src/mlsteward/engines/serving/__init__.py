"""The data plane's pure parts: request codecs (Open Inference Protocol V2, MLflow scoring
formats), signature enforcement compiled per model, and the adaptive batcher. No I/O here:
the ASGI app in ``mlsteward.interfaces.serving`` wires them to sockets, models and logs."""
