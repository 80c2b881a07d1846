"""The core package imports and serves scikit-learn models with no optional library present."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

OPTIONAL = ("xgboost", "lightgbm", "torch", "onnx", "onnxruntime", "skl2onnx", "onnxmltools")

SCRIPT = textwrap.dedent(
    """
    import importlib.abc, sys

    BLOCKED = set(sys.argv[2].split(","))

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{name} is blocked for this test")
            return None

    sys.meta_path.insert(0, Block())
    import importlib.util
    importlib.util.find_spec = (lambda find: lambda name, *a: None if name.split(".")[0]
                                in BLOCKED else find(name, *a))(importlib.util.find_spec)

    import numpy as np
    from sklearn.linear_model import LogisticRegression

    import mlsteward
    from mlsteward.models import export_onnx, load_model
    from mlsteward.plugins.flavors import default_registry
    from mlsteward.engines.models.packaging import save_model

    model = LogisticRegression().fit(np.eye(4), [0, 1, 0, 1])
    target = sys.argv[1] + "/model"
    save_model(model, target, input_example=np.eye(4))
    assert load_model(target).predict(np.eye(4)).tolist() == model.predict(np.eye(4)).tolist()
    assert not default_registry().get("pytorch").available()
    try:
        export_onnx(target)
    except mlsteward.InvalidArgumentError as error:
        assert "mlsteward[onnx]" in str(error), error
    else:
        raise AssertionError("export_onnx ran without onnx")
    loaded = [m for m in BLOCKED if m in sys.modules]
    assert not loaded, loaded
    print("ok")
    """
)


def test_core_works_without_optional_libraries(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path), ",".join(OPTIONAL)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("ok")
