"""PyTorch ``nn.Module`` models on the CPU, saved whole with ``torch.save`` + cloudpickle.

cloudpickle writes classes defined in a notebook or ``__main__`` by value, so the model loads
in another process without the training script. Like any pickle, **loading runs code**:
load only models you trust (their SHA-256 is checked against the logged manifest first).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from mlsteward.plugins.flavors.base import Flavor, NativeModel, SavedFiles

MODEL_FILE = "model.pt"


class PyTorchFlavor(Flavor):
    name: ClassVar[str] = "pytorch"
    priority: ClassVar[int] = 10
    modules: ClassVar[tuple[str, ...]] = ("torch", "cloudpickle", "numpy")
    serialization: ClassVar[str] = "torch.save with cloudpickle (pickle)"
    executes_code_on_load: ClassVar[bool] = True

    def matches(self, model: Any) -> bool:
        return any(
            klass.__name__ == "Module" and (klass.__module__ or "").startswith("torch.nn")
            for klass in type(model).__mro__
        )

    def save(self, model: Any, directory: Path) -> SavedFiles:
        import cloudpickle
        import torch

        torch.save(model, directory / MODEL_FILE, pickle_module=cloudpickle)
        return SavedFiles([MODEL_FILE])

    def load(self, directory: Path, options: Mapping[str, Any]) -> Any:
        import torch

        return torch.load(directory / MODEL_FILE, map_location="cpu", weights_only=False)

    def wrap(self, model: Any) -> NativeModel:
        import torch

        model.eval()
        inference_mode = torch.inference_mode
        from_numpy = torch.from_numpy

        def predict(data: Any) -> Any:
            tensor = from_numpy(np.ascontiguousarray(data))
            with inference_mode():
                out = model(tensor)
            if isinstance(out, tuple | list):
                out = out[0]
            return out.detach().numpy()

        return NativeModel(raw=model, predict=predict, wants="array")
