"""``suite.train.source``: the run cache keys on the code an experiment runs, not a version."""

from __future__ import annotations

from pathlib import Path

from suite.train.source import closure, code_digest, code_of


def package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


FILES = {
    "suite/__init__.py": "",
    "suite/experiments/__init__.py": "from suite.experiments.run import train\n",
    "suite/experiments/run.py": "from ..train import step\n\ndef train():\n    return step.lr\n",
    "suite/train/__init__.py": "",
    "suite/train/step.py": '"""A step."""\nlr = 0.1  # the rate\n',
    "suite/report/html.py": "x = 1\n",  # not imported by an experiment
}


def test_the_closure_follows_absolute_and_relative_imports_and_stops_there(tmp_path):
    root = package(tmp_path, FILES)
    found = closure(("suite.experiments",), root)
    assert set(found) == {
        "suite",
        "suite.experiments",
        "suite.experiments.run",
        "suite.train",
        "suite.train.step",
    }


def test_a_change_to_training_code_changes_the_digest_and_a_comment_does_not(tmp_path):
    before = code_digest(("suite.experiments",), package(tmp_path / "a", FILES))
    comment = dict(FILES, **{"suite/train/step.py": '"""Another."""\nlr = 0.1  # other words\n'})
    assert code_digest(("suite.experiments",), package(tmp_path / "b", comment)) == before
    code = dict(FILES, **{"suite/train/step.py": '"""A step."""\nlr = 0.2  # the rate\n'})
    assert code_digest(("suite.experiments",), package(tmp_path / "c", code)) != before
    report = dict(FILES, **{"suite/report/html.py": "x = 2\n"})
    assert code_digest(("suite.experiments",), package(tmp_path / "d", report)) == before


def test_docstrings_are_not_code_but_strings_in_code_are():
    documented = 'def f():\n    """Why."""\n    return 1\n'
    assert code_of(documented) == code_of("def f():\n    return 1\n")
    assert code_of('def f():\n    return "a"\n') != code_of('def f():\n    return "b"\n')


def test_the_suites_own_experiments_reach_training_measures_and_data():
    found = closure()
    for name in ("suite.train.engine", "suite.measures.sharpness", "suite.data.splits"):
        assert name in found
    assert not any(n.startswith(("suite.report", "suite.plugin")) for n in found)
