"""ONNX export: converters (skl2onnx, onnxmltools), parity checks and int8 quantization.

Pure computation on in-memory models; writing the export beside a logged model is the job of
``mlsteward.services.models.onnx_packaging``. Import the submodules you need: this package
imports no optional library by itself.
"""
