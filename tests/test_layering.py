"""Imports point down only, and the doors stay thin.

Layers: domain < storage/engines/plugins < services < interfaces < the facades
(``mlsteward.models``, ``.data``, ``.monitoring``) and ``testing``. Within the doors the SDK,
the REST server and the CLI do not import each other's internals: the CLI goes through the
SDK, and the SDK reaches a server through its transport, never the REST package.

Every ``import`` in ``src/mlsteward`` is read with ``ast`` (including imports inside functions
and ``TYPE_CHECKING`` blocks, which still tie the layers together) and checked against the
rules below, which apply to a module and everything under it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import mlsteward

PACKAGE_ROOT = Path(mlsteward.__file__).parent

_FACADES = ("models", "data", "monitoring")
_DOORS = {"interfaces", *_FACADES, "testing"}

#: package (under ``mlsteward``) -> what it must never import (also under ``mlsteward``).
FORBIDDEN: dict[str, set[str]] = {
    "domain": {"storage", "services", "engines", "plugins", *_DOORS},
    "storage": {"services", *_DOORS},
    "engines": {"storage", "services", *_DOORS},
    "plugins": {"storage", "services", *_DOORS},
    # Services reach stores through their interfaces, never a backend's own package.
    "services": {"storage.sql", *_DOORS},
    # The doors reach stores only through a service context built by the composition root.
    "interfaces": {"storage", "testing"},
    "interfaces.sdk": {"interfaces.rest", "interfaces.cli", *_FACADES},
    "interfaces.rest": {"interfaces.sdk", "interfaces.cli", *_FACADES},
    # The CLI goes through the SDK (its facades included).
    "interfaces.cli": {"services", "interfaces.rest.app"},
    # The facades re-export the SDK (and the engines' and domain's public types).
    **{
        facade: {"storage", "services", "interfaces.rest", "interfaces.cli", "testing"}
        for facade in _FACADES
    },
    "testing": set(),
}


def rules_for(module: str) -> set[str]:
    """Everything ``module`` (a dotted name under the package) may not import: the rules of
    each package it sits in, from the layer down to its own sub-package."""
    parts = module.split(".")[1:]
    forbidden: set[str] = set()
    for depth in range(1, len(parts) + 1):
        forbidden |= FORBIDDEN.get(".".join(parts[:depth]), set())
    return forbidden


def unruled_packages(root: Path) -> list[str]:
    """Top-level packages under ``root`` that no rule covers (every package must be ruled)."""
    return sorted(
        path.name
        for path in root.iterdir()
        if path.is_dir() and (path / "__init__.py").exists() and path.name not in FORBIDDEN
    )


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported_modules(tree: ast.AST, module: str, is_package: bool) -> list[tuple[int, str]]:
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # ``from mlsteward import storage`` names a layer through the alias
            found.extend((node.lineno, f"{target}.{alias.name}") for alias in node.names)
    return found


def layering_violations(root: Path) -> list[str]:
    """Every import in the package under ``root`` that a rule forbids."""
    top = root.name
    problems = []
    for path in sorted(root.rglob("*.py")):
        module = _module_name(root, path)
        forbidden = rules_for(module)
        if not forbidden:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for lineno, target in _imported_modules(tree, module, path.name == "__init__.py"):
            head, _, rest = target.partition(".")
            if head != top or not rest:
                continue
            hit = next((f for f in forbidden if rest == f or rest.startswith(f + ".")), None)
            if hit is not None:
                problems.append(f"{path.relative_to(root.parent)}:{lineno}: imports {target}")
    return problems


def test_imports_point_down_only() -> None:
    assert layering_violations(PACKAGE_ROOT) == []


def test_every_package_has_rules() -> None:
    assert unruled_packages(PACKAGE_ROOT) == []


def facade_logic(root: Path) -> list[str]:
    """Statements in a facade package that are not imports, ``__all__`` or a docstring:
    a facade only re-exports, so its behaviour lives (and is tested) in the SDK."""
    found = []
    for facade in _FACADES:
        for path in sorted((root / facade).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in tree.body:
                if isinstance(node, ast.Import | ast.ImportFrom):
                    continue
                if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                    continue  # the docstring
                targets = node.targets if isinstance(node, ast.Assign) else []
                if [getattr(t, "id", None) for t in targets] == ["__all__"]:
                    continue
                found.append(f"{path.relative_to(root.parent)}:{node.lineno}")
    return found


def test_the_facades_only_re_export() -> None:
    assert facade_logic(PACKAGE_ROOT) == []


@pytest.mark.parametrize(
    ("where", "source", "caught"),
    [
        ("domain/bad.py", "from mlsteward.storage.base import Store\n", True),
        ("domain/bad.py", "def f():\n    import mlsteward.services.context\n", True),
        ("domain/bad.py", "from mlsteward import interfaces\n", True),
        ("storage/sql/bad.py", "from ...services import context\n", True),
        ("storage/sql/bad.py", "from ..base import Store\n", False),
        ("engines/bad.py", "from mlsteward.storage import open_store\n", True),
        ("services/bad.py", "from mlsteward.interfaces.sdk import fluent\n", True),
        ("services/bad.py", "from mlsteward.storage.base import Store\n", False),
        ("interfaces/bad.py", "from mlsteward.services import context\n", False),
        ("interfaces/sdk/bad.py", "from mlsteward.storage.resolver import open_store\n", True),
        ("interfaces/sdk/bad.py", "from mlsteward.interfaces.rest import wire\n", True),
        ("interfaces/sdk/bad.py", "from mlsteward.services.api import wire\n", False),
        ("interfaces/rest/bad.py", "from mlsteward.interfaces.sdk import client\n", True),
        ("interfaces/cli/bad.py", "from mlsteward.services import context\n", True),
        ("interfaces/cli/bad.py", "from mlsteward.interfaces.sdk import client\n", False),
        ("services/bad.py", "from mlsteward.storage.sql.store import SqlStore\n", True),
        ("services/bad.py", "from mlsteward.testing import postgres\n", True),
        ("models/bad.py", "from mlsteward.services.models import loading\n", True),
        ("models/bad.py", "from mlsteward.interfaces.sdk import fluent\n", False),
        ("testing/bad.py", "from mlsteward.storage.sql.store import SqlStore\n", False),
    ],
)
def test_the_checker_catches_upward_imports(
    tmp_path: Path, where: str, source: str, caught: bool
) -> None:
    root = tmp_path / "mlsteward"
    target = root / where
    target.parent.mkdir(parents=True)
    for folder in [root, *target.parents]:
        if folder == tmp_path:
            break
        (folder / "__init__.py").touch()
    target.write_text(source)
    assert bool(layering_violations(root)) is caught


def import_cycles(root: Path) -> list[list[str]]:
    """Groups of modules that import each other in a loop (imports in functions and
    ``TYPE_CHECKING`` blocks included: they tie the modules together all the same).

    Imports of a package's ``__init__`` are left out: a package's face re-exports its modules,
    so a module taking a sibling through the face is not a loop of its own making.
    """
    modules = {_module_name(root, path): path for path in sorted(root.rglob("*.py"))}
    packages = {name for name, path in modules.items() if path.name == "__init__.py"}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        if name in packages:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets = {t for _, t in _imported_modules(tree, name, is_package=False)}
        graph[name] = {t for t in targets if t in modules and t not in packages and t != name}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_no_import_cycles() -> None:
    assert import_cycles(PACKAGE_ROOT) == []


def test_the_cycle_check_catches_a_loop(tmp_path: Path) -> None:
    root = tmp_path / "mlsteward"
    (root / "engines").mkdir(parents=True)
    (root / "__init__.py").touch()
    (root / "engines" / "__init__.py").touch()
    (root / "engines" / "a.py").write_text("from mlsteward.engines.b import B\nA = 1\n")
    (root / "engines" / "b.py").write_text("def f():\n    from mlsteward.engines import a\n")
    assert import_cycles(root) == [["mlsteward.engines.a", "mlsteward.engines.b"]]
    (root / "engines" / "b.py").write_text("B = 2\n")
    assert import_cycles(root) == []
