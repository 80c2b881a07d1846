"""Every built-in flavor, on every kind of model it claims, passes the shipped conformance suite.

Flavors whose library is not installed are left out (and reported as one skipped test each).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from mlsteward.testing.flavor_conformance import (
    Check,
    FlavorCase,
    check_flavor,
    parametrize_flavor_checks,
)

from .custom_models import SumThreshold

RNG = np.random.default_rng(7)
X = RNG.normal(size=(120, 4))
Y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
FRAME = pd.DataFrame(X, columns=["age", "income", "tenure", "score"])
MIXED = FRAME.assign(region=RNG.choice(["north", "south", "east"], size=len(FRAME)))


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def sklearn_cases() -> list[FlavorCase]:
    mixed = Pipeline(
        [
            (
                "columns",
                ColumnTransformer(
                    [
                        ("onehot", OneHotEncoder(handle_unknown="ignore"), ["region"]),
                        ("scale", StandardScaler(), ["age", "income", "tenure", "score"]),
                    ]
                ),
            ),
            ("clf", LogisticRegression()),
        ]
    ).fit(MIXED, Y)
    forest = Pipeline(
        [("scale", StandardScaler()), ("rf", RandomForestClassifier(10, random_state=0))]
    ).fit(FRAME, Y)
    return [
        FlavorCase("sklearn-logreg-array", LogisticRegression().fit(X, Y), X, "sklearn"),
        FlavorCase("sklearn-pipeline-frame", forest, FRAME, "sklearn"),
        FlavorCase("sklearn-columntransformer", mixed, MIXED, "sklearn"),
        FlavorCase(
            "sklearn-gbr",
            GradientBoostingRegressor(n_estimators=20, random_state=0).fit(X, X[:, 2]),
            X,
            "sklearn",
        ),
    ]


def xgboost_cases() -> list[FlavorCase]:
    import xgboost as xgb

    classifier = xgb.XGBClassifier(n_estimators=10, max_depth=3).fit(FRAME, Y)
    booster = xgb.train({"objective": "reg:squarederror"}, xgb.DMatrix(X, X[:, 1]), 10)
    return [
        FlavorCase("xgboost-classifier-frame", classifier, FRAME, "xgboost", atol=1e-7),
        FlavorCase("xgboost-booster", booster, X, "xgboost", atol=1e-7),
    ]


def lightgbm_cases() -> list[FlavorCase]:
    import lightgbm as lgb

    classifier = lgb.LGBMClassifier(n_estimators=10, verbose=-1).fit(FRAME, Y)
    booster = lgb.train(
        {"objective": "regression", "verbose": -1}, lgb.Dataset(X, X[:, 1]), num_boost_round=10
    )
    return [
        FlavorCase("lightgbm-classifier-frame", classifier, FRAME, "lightgbm", atol=1e-12),
        FlavorCase("lightgbm-booster", booster, X, "lightgbm", atol=1e-12),
    ]


def onnx_cases() -> list[FlavorCase]:
    from skl2onnx import to_onnx

    data = X.astype(np.float32)
    graph = to_onnx(LogisticRegression().fit(X, Y), data[:1], options={"zipmap": False})
    return [FlavorCase("onnx-logreg", graph, data, "onnx", atol=1e-6)]


def pytorch_cases() -> list[FlavorCase]:
    import torch

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    return [FlavorCase("pytorch-mlp", net, X.astype(np.float32), "pytorch", atol=1e-6)]


def pyfunc_cases() -> list[FlavorCase]:
    return [FlavorCase("pyfunc-custom", SumThreshold(0.5), FRAME, "python_function")]


FAMILIES = {
    "sklearn": (("sklearn",), sklearn_cases),
    "xgboost": (("xgboost",), xgboost_cases),
    "lightgbm": (("lightgbm",), lightgbm_cases),
    "onnx": (("onnx", "onnxruntime", "skl2onnx"), onnx_cases),
    "pytorch": (("torch",), pytorch_cases),
    "python_function": (("cloudpickle",), pyfunc_cases),
}
CASES = [
    case
    for modules, build in FAMILIES.values()
    if all(_has(m) for m in modules)
    for case in build()
]
MISSING = [name for name, (modules, _) in FAMILIES.items() if not all(_has(m) for m in modules)]


@parametrize_flavor_checks(CASES)
def test_flavor_conformance(case: FlavorCase, check: Check, tmp_path: Path) -> None:
    check(case, tmp_path)


@pytest.mark.parametrize("flavor", MISSING or ["none"])
def test_flavor_library_installed(flavor: str) -> None:
    if flavor != "none":
        pytest.skip(f"{flavor} flavor not checked: its library is not installed")


def test_check_flavor_runs_every_check(tmp_path: Path) -> None:
    check_flavor(CASES[0], tmp_path)
    assert len(list(tmp_path.iterdir())) >= 9
