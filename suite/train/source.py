"""The code a result depends on, as one digest: the run cache's key holds it, so a result of
changed training code is never read back as if the code were the same.

A hand-bumped version number (what the cache used before) goes stale the first time someone
changes training code and forgets it: the next run silently reuses the old code's numbers.
Here the key holds a hash of every module an experiment can run: the closure of ``suite``'s
imports from :data:`ENTRY` (the experiments and, through them, training, measures, data splits,
the profiles' settings classes; and the job that trains a round, which loads its dataset and
names its result), each module hashed as its syntax tree without docstrings, so
a comment or a docstring does not retrain anything and every other edit does.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import inspect
from collections.abc import Iterable
from functools import cache
from pathlib import Path

#: The folder that holds the ``suite`` package.
ROOT = Path(__file__).resolve().parents[2]
#: Where a result's code starts: every runner of an experiment is imported from here.
ENTRY = ("suite.experiments", "suite.run.jobs")


def module_file(name: str, root: Path = ROOT) -> Path | None:
    """The file of module ``name`` under ``root`` (a package's ``__init__.py``), or None."""
    base = root.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def imported(name: str, path: Path, root: Path = ROOT) -> set[str]:
    """The modules of ``suite`` that module ``name`` (at ``path``) imports, anywhere in it."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{a.name}" for a in node.names)  # submodules imported by name
    return {m for m in found if m.split(".")[0] == "suite" and module_file(m, root)}


def closure(entries: tuple[str, ...] = ENTRY, root: Path = ROOT) -> dict[str, Path]:
    """Every module reachable from ``entries`` by ``suite``'s imports (parents included, as
    importing ``a.b.c`` runs ``a`` and ``a.b``): name -> file."""
    todo, seen = list(entries), {}
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = module_file(name, root)
        if path is None:
            raise ModuleNotFoundError(f"no module {name!r} under {root}")
        seen[name] = path
        parents = [".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)]
        todo.extend(parents)
        todo.extend(imported(name, path, root))
    return seen


def code_of(source: str) -> str:
    """The syntax tree of ``source`` without docstrings or comments, as text."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree, include_attributes=False)


@cache
def code_digest(entries: tuple[str, ...] = ENTRY, root: Path = ROOT) -> str:
    """SHA-256 of the code of every module in ``closure(entries)``, in name order."""
    h = hashlib.sha256()
    for name, path in sorted(closure(entries, root).items()):
        h.update(f"{name}\n{code_of(path.read_text())}\n".encode())
    return h.hexdigest()


def outside_code(objects: Iterable[object], root: Path = ROOT) -> str:
    """SHA-256 of the code of the files outside the ``suite`` package that define ``objects``
    (a user's runner, model or measure), "" when there are none.

    :func:`code_digest` covers the package; this covers what a user registered from their own
    test file, so editing that file retrains its experiments too.
    """
    files = outside_files(objects, root)
    if not files:
        return ""
    h = hashlib.sha256()
    for path in files:
        h.update(f"{path.name}\n{code_of(path.read_text())}\n".encode())
    return h.hexdigest()


def outside_files(objects: Iterable[object], root: Path = ROOT) -> tuple[Path, ...]:
    """The files outside the ``suite`` package that define ``objects``, sorted, each once."""
    files: set[Path] = set()
    for obj in objects:
        while isinstance(obj, functools.partial):  # its function's file (its arguments are
            obj = obj.func  # in the settings or the record that holds it)
        try:
            path = inspect.getsourcefile(inspect.unwrap(obj))  # type: ignore[arg-type]
        except TypeError:  # a builtin or an object without a source file
            path = None
        if path is not None and not Path(path).resolve().is_relative_to(root / "suite"):
            files.add(Path(path).resolve())
    return tuple(sorted(files))
