"""The conformance suite every model flavor passes, built in or plugged in.

Like scikit-learn's ``check_estimator``: give it a fitted model and a batch of input, and it
saves, loads and calls the model through mlsteward, checking that

- the flavor is detected for the model (or the named one is used),
- predictions (and probabilities) after save -> load equal the original model's,
- the manifest lists every file with its SHA-256, the signature and pinned requirements,
- the input example comes back as it was given,
- the signature is enforced: a missing column or tensor and an unsafe cast are refused with
  an error naming it, while a safe cast (a narrower integer into a float slot) is accepted,
- a tampered or missing model file is refused at load.

Use :func:`check_flavor` in any test, or :func:`parametrize_flavor_checks` to get one pytest
test per (model, check)::

    @parametrize_flavor_checks([FlavorCase("my-model", model, X, flavor="myflavor")])
    def test_my_flavor(case, check, tmp_path):
        check(case, tmp_path)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlsteward.engines.models.errors import ModelIntegrityError, SignatureMismatchError
from mlsteward.engines.models.input_plan import compile_plan
from mlsteward.engines.models.loading import load_model_dir
from mlsteward.engines.models.manifest import MANIFEST_FILE, read_manifest, sha256_file
from mlsteward.engines.models.packaging import save_model
from mlsteward.engines.models.signature import Schema
from mlsteward.plugins.flavors import FlavorRegistry, default_registry

Check = Callable[["FlavorCase", Path], None]


@dataclass(frozen=True)
class FlavorCase:
    """A fitted model, input to call it with, and what the suite should expect."""

    id: str
    model: Any
    data: Any
    flavor: str | None = None
    atol: float = 0.0
    signature: Any = None
    registry: FlavorRegistry | None = None

    def example(self) -> Any:
        if self.signature is not None:
            return None
        if isinstance(self.data, dict):
            return {k: np.asarray(v)[:5] for k, v in self.data.items()}
        return self.data[:5]

    def save(self, directory: Path) -> Path:
        target = directory / f"{self.id}-model"
        save_model(
            self.model,
            target,
            flavor=self.flavor,
            signature=self.signature,
            input_example=self.example(),
            installed=_installed(),
            registry=self.registry,
        )
        return target


@functools.lru_cache(maxsize=1)
def _installed() -> dict[str, str]:
    from importlib import metadata

    return {d.metadata["Name"]: d.version for d in metadata.distributions() if d.metadata["Name"]}


def _original(case: FlavorCase, inputs: Schema, proba: bool = False) -> Any:
    """The original in-memory model's output on the case's data, via its flavor."""
    registry = case.registry or default_registry()
    flavor = registry.get(case.flavor) if case.flavor else registry.detect(case.model)
    native = flavor.wrap(case.model)
    prepared = compile_plan(inputs, native.wants)(case.data)
    function = native.predict_proba if proba else native.predict
    assert function is not None
    return function(prepared)


def _same(expected: Any, actual: Any, atol: float, what: str) -> None:
    left, right = np.asarray(expected), np.asarray(actual)
    assert left.shape == right.shape, f"{what}: shape {right.shape} != original {left.shape}"
    if left.dtype.kind in "fc" or right.dtype.kind in "fc":
        np.testing.assert_allclose(right, left, rtol=0, atol=atol, err_msg=what)
    else:
        assert np.array_equal(left, right), f"{what}: differs from the original model's output"


def check_flavor_detected(case: FlavorCase, workdir: Path) -> None:
    """The registry picks the expected flavor for the model."""
    if case.flavor is None:
        return
    registry = case.registry or default_registry()
    assert registry.detect(case.model).name == case.flavor, (
        f"{type(case.model).__name__} detected as {registry.detect(case.model).name}, "
        f"expected {case.flavor}"
    )


def check_round_trip_predict(case: FlavorCase, workdir: Path) -> None:
    """save -> load -> predict gives the original model's predictions."""
    loaded = load_model_dir(case.save(workdir), registry=case.registry)
    expected = _original(case, loaded.signature.inputs)
    _same(expected, loaded.predict(case.data), case.atol, "predict after save/load")


def check_round_trip_predict_proba(case: FlavorCase, workdir: Path) -> None:
    """Models with predict_proba keep it, with the same probabilities."""
    loaded = load_model_dir(case.save(workdir), registry=case.registry)
    registry = case.registry or default_registry()
    flavor = registry.get(loaded.flavor)
    has_proba = flavor.wrap(case.model).predict_proba is not None
    assert loaded.has_predict_proba == has_proba, "predict_proba availability changed"
    if has_proba:
        expected = _original(case, loaded.signature.inputs, proba=True)
        _same(expected, loaded.predict_proba(case.data), max(case.atol, 1e-12), "predict_proba")


def check_manifest_complete(case: FlavorCase, workdir: Path) -> None:
    """Every file is listed with its hash; flavor, signature and requirements are recorded."""
    directory = case.save(workdir)
    manifest = read_manifest(directory)
    on_disk = {
        p.relative_to(directory).as_posix()
        for p in directory.rglob("*")
        if p.is_file() and p.name != MANIFEST_FILE
    }
    assert on_disk == set(manifest.files), (
        f"unlisted or missing files: {on_disk ^ set(manifest.files)}"
    )
    for name, recorded in manifest.files.items():
        assert sha256_file(directory / name) == recorded, f"{name}: wrong hash in manifest"
    assert manifest.flavor, "no flavor recorded"
    assert manifest.signature.inputs.names(), "empty input signature"
    assert any(r.startswith("mlsteward==") for r in manifest.requirements)
    flavor = (case.registry or default_registry()).get(manifest.flavor)
    assert manifest.serialization, "serialization format not recorded"
    pinned = {r.split("==")[0].lower() for r in manifest.requirements}
    main = flavor.modules[0] if flavor.modules else None
    if main in ("sklearn", "xgboost", "lightgbm", "torch", "onnx"):
        assert any(main.replace("sklearn", "scikit-learn") in name for name in pinned), (
            f"{main} is not pinned in {manifest.requirements}"
        )


def check_input_example_round_trip(case: FlavorCase, workdir: Path) -> None:
    example = case.example()
    if example is None:
        return
    loaded = load_model_dir(case.save(workdir), registry=case.registry)
    back = loaded.input_example
    if isinstance(example, pd.DataFrame):
        pd.testing.assert_frame_equal(back, example.reset_index(drop=True), check_names=False)
    elif isinstance(example, dict):
        for key, values in example.items():
            np.testing.assert_array_equal(back[key], values)
    else:
        np.testing.assert_array_equal(back, np.asarray(example))


def _first_slot(schema: Schema) -> tuple[str, str]:
    if schema.kind == "columns":
        return schema.columns[0].name, schema.columns[0].dtype
    tensor = schema.tensors[0]
    return tensor.name or "input", tensor.dtype


def check_missing_input_refused(case: FlavorCase, workdir: Path) -> None:
    """Dropping a column (or tensor) raises SignatureMismatchError naming it."""
    loaded = load_model_dir(case.save(workdir), registry=case.registry)
    schema = loaded.signature.inputs
    name, _ = _first_slot(schema)
    if schema.kind == "columns":
        bad: Any = pd.DataFrame(case.data).drop(columns=[name])
    elif len(schema.tensors) > 1:
        bad = {k: v for k, v in case.data.items() if k != name}
    else:
        bad = np.asarray(case.data)[:, 1:] if np.asarray(case.data).ndim == 2 else {"x": 0}
    try:
        loaded.predict(bad)
    except SignatureMismatchError as error:
        assert name in str(error) or schema.kind == "tensors", f"error does not name {name!r}"
        return
    raise AssertionError(f"predict accepted input without {name!r}")


def _text_version(values: Any) -> Any:
    return np.asarray(values).astype(str)


def check_unsafe_cast_refused(case: FlavorCase, workdir: Path) -> None:
    """Text where a number is expected (or a number where text is) is refused, named."""
    loaded = load_model_dir(case.save(workdir), registry=case.registry)
    schema = loaded.signature.inputs
    name, dtype = _first_slot(schema)
    replacement: Callable[[Any], Any] = (
        (lambda v: np.asarray(v, dtype=np.float64) * 0 + 1.5)
        if dtype in ("string", "object", "category")
        else _text_version
    )
    if dtype == "object":
        return  # anything is accepted in an object slot
    if schema.kind == "columns":
        bad: Any = pd.DataFrame(case.data).copy()
        bad[name] = replacement(bad[name].to_numpy())
    elif len(schema.tensors) > 1:
        bad = dict(case.data)
        bad[name] = replacement(bad[name])
    else:
        bad = replacement(case.data)
    try:
        loaded.predict(bad)
    except SignatureMismatchError as error:
        assert name in str(error), f"error does not name {name!r}: {error}"
        assert error.column == name
        return
    raise AssertionError(f"predict accepted an unsafe cast of {name!r} ({dtype})")


def check_safe_cast_accepted(case: FlavorCase, workdir: Path) -> None:
    """Narrow integers into a float slot (or int32 into int64) are cast, not refused."""
    loaded = load_model_dir(case.save(workdir), registry=case.registry)
    schema = loaded.signature.inputs
    name, dtype = _first_slot(schema)
    narrow = {"float64": np.int32, "float32": np.int8, "int64": np.int32}.get(dtype)
    if narrow is None:
        return
    if schema.kind == "columns":
        data: Any = pd.DataFrame(case.data).copy()
        data[name] = np.clip(np.round(data[name].to_numpy()), -100, 100).astype(narrow)
    elif len(schema.tensors) > 1:
        data = dict(case.data)
        data[name] = np.clip(np.round(data[name]), -100, 100).astype(narrow)
    else:
        data = np.clip(np.round(np.asarray(case.data)), -100, 100).astype(narrow)
    result = np.asarray(loaded.predict(data))
    assert len(result) == len(
        np.asarray(next(iter(data.values())) if isinstance(data, dict) else data)
    )


def check_tampered_file_refused(case: FlavorCase, workdir: Path) -> None:
    """A model file changed after saving (one byte) is refused before deserializing."""
    directory = case.save(workdir)
    manifest = read_manifest(directory)
    target = directory / sorted(n for n in manifest.files if n.startswith("model"))[0]
    content = bytearray(target.read_bytes())
    content[len(content) // 2] ^= 0x01
    target.write_bytes(bytes(content))
    try:
        load_model_dir(directory, registry=case.registry)
    except ModelIntegrityError as error:
        assert target.name in str(error), f"error does not name {target.name}"
        return
    raise AssertionError("a tampered model file was loaded")


def check_missing_file_refused(case: FlavorCase, workdir: Path) -> None:
    directory = case.save(workdir)
    manifest = read_manifest(directory)
    victim = sorted(n for n in manifest.files if n.startswith("model"))[0]
    (directory / victim).unlink()
    try:
        load_model_dir(directory, registry=case.registry)
    except ModelIntegrityError:
        return
    raise AssertionError("a model with a missing file was loaded")


CHECKS: tuple[Check, ...] = (
    check_flavor_detected,
    check_round_trip_predict,
    check_round_trip_predict_proba,
    check_manifest_complete,
    check_input_example_round_trip,
    check_missing_input_refused,
    check_unsafe_cast_refused,
    check_safe_cast_accepted,
    check_tampered_file_refused,
    check_missing_file_refused,
)


def check_flavor(case: FlavorCase, workdir: Path) -> None:
    """Run every check on ``case`` (each in its own sub-directory of ``workdir``)."""
    for number, check in enumerate(CHECKS):
        check(case, Path(workdir) / f"{number:02d}-{check.__name__}")


def parametrize_flavor_checks(cases: Sequence[FlavorCase]) -> Any:
    """A ``pytest.mark.parametrize`` over (case, check) pairs, ids ``<case>-<check>``."""
    import pytest

    pairs = [(case, check) for case in cases for check in CHECKS]
    ids = [f"{case.id}-{check.__name__.removeprefix('check_')}" for case, check in pairs]
    return pytest.mark.parametrize(("case", "check"), pairs, ids=ids)
