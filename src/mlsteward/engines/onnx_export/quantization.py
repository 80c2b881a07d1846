"""int8 dynamic quantization of an ONNX graph (ONNX Runtime's ``quantize_dynamic``).

Dynamic quantization rewrites MatMul/Gemm-style nodes to int8 weights; tree ensembles have no
such nodes and come out unchanged, which the report says (``quantized_nodes == 0``).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_INT8_OPS = {"MatMulInteger", "ConvInteger", "DynamicQuantizeMatMul", "QLinearMatMul", "QGemm"}


@dataclass(frozen=True)
class Quantized:
    model_bytes: bytes
    quantized_nodes: int


def _op_counts(model: Any) -> Counter[str]:
    return Counter(node.op_type for node in model.graph.node)


def _one_opset_per_domain(model_bytes: bytes) -> bytes:
    """skl2onnx may list the default domain twice (e.g. a graph of only ``ai.onnx.ml``
    nodes, such as a LogisticRegression); ONNX Runtime's quantizer refuses such a graph."""
    import onnx

    model = onnx.load_from_string(model_bytes)
    versions: dict[str, int] = {}
    for opset in model.opset_import:
        versions[opset.domain] = max(versions.get(opset.domain, 0), int(opset.version))
    if len(versions) == len(model.opset_import):
        return model_bytes
    del model.opset_import[:]
    model.opset_import.extend(onnx.helper.make_opsetid(d, v) for d, v in versions.items())
    return bytes(model.SerializeToString())


def quantize_int8(model_bytes: bytes) -> Quantized:
    """Quantize weights to int8; returns the new graph and how many nodes became int8."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(prefix="mlsteward-quant-") as tmp:
        source, target = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        source.write_bytes(_one_opset_per_domain(model_bytes))
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8)
        quantized = target.read_bytes()
    counts = _op_counts(onnx.load_from_string(quantized))
    return Quantized(quantized, sum(n for op, n in counts.items() if op in _INT8_OPS))
