"""The package layout: each folder one concern, imports only downward (README "Layout").

Read from the import graph (``ast``), not by importing: a module may import from its own
folder or from a folder on a lower floor, never from one on its floor or above. The floors,
from the ground up, are ``FLOORS``; each folder's ``__init__`` docstring says what it holds and
what it may import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import suite

ROOT = Path(suite.__file__).parent

#: From the ground up: the experiment records; settings and wording; statistics (no torch);
#: MNIST; training; measures on trained networks; the experiments; running a session's plan;
#: stability over seed sets; the report; the pytest face; then the entry points (the public
#: ``suite.api`` among them) and the claim tests.
FLOORS: tuple[tuple[str, ...], ...] = (
    ("__init__", "records"),
    ("profiles",),
    ("stats",),
    ("data",),
    ("train",),
    ("measures",),
    ("experiments",),
    ("run",),
    ("stability",),
    ("report",),
    ("plugin",),
    ("__main__", "api", "rule_power", "benchmarks", "claims", "tests"),
)
FLOOR = {part: level for level, parts in enumerate(FLOORS) for part in parts}
#: Folders that hold tests or entry points: checked as importers, never imported from below.
TOP = {"__main__", "api", "rule_power", "benchmarks", "claims", "tests"}


def _part(module: str) -> str:
    """The floor a module belongs to: its folder under ``suite``, or its own name there."""
    return module.split(".")[1] if "." in module else "__init__"  # "suite": the package


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(path: Path) -> set[str]:
    """The ``suite`` modules ``path`` imports (``from suite.x import y`` counts as suite.x)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "suite":  # a submodule, or a name of the package itself
                for alias in node.names:
                    sub = ROOT / alias.name
                    is_module = sub.is_dir() or sub.with_suffix(".py").is_file()
                    out.add(f"suite.{alias.name}" if is_module else "suite")
            elif node.module.startswith("suite."):
                out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("suite."))
    return out


def upward_imports(modules: dict[str, Path]) -> list[str]:
    """Every import that points sideways or up: ``importer -> imported``."""
    wrong = []
    for name, path in sorted(modules.items()):
        here = _part(name)
        if name == "suite" or here == "tests":  # tests may reach anything they test
            continue
        for target in sorted(_imports(path)):
            there = _part(target)
            if there == here:
                continue
            if there in TOP or FLOOR[there] >= FLOOR[here]:
                wrong.append(f"{name} -> {target}")
    return wrong


def test_every_module_sits_on_a_floor():
    parts = {_part(name) for name in _modules() if name != "suite"}
    assert parts <= set(FLOOR), parts - set(FLOOR)


def test_imports_point_only_downward():
    assert upward_imports(_modules()) == []


def test_an_upward_import_is_caught(tmp_path):
    data = tmp_path / "suite" / "data"
    data.mkdir(parents=True)
    (data / "splits.py").write_text("from suite.train.engine import forward\n")
    assert upward_imports({"suite.data.splits": data / "splits.py"}) == [
        "suite.data.splits -> suite.train.engine"
    ]


@pytest.mark.parametrize("folder", ["data", "train", "measures", "stats", "run", "plugin"])
def test_each_folder_says_what_it_holds_and_may_import(folder):
    doc = ast.get_docstring(ast.parse((ROOT / folder / "__init__.py").read_text()))
    assert doc and "May import" in doc


def test_no_module_is_over_400_lines_without_a_reason():
    long = {}
    for name, path in _modules().items():
        lines = path.read_text(encoding="utf-8").count("\n")
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        if lines > 400 and "Long because" not in doc and not name.startswith("suite.tests"):
            long[name] = lines
    assert long == {}
