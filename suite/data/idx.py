"""The four MNIST IDX files in a torchvision-layout root: their format, the checks on them,
writing them atomically, and the checksum that names the dataset in cache keys.

Every file is written under a temporary name in its final directory and ``os.replace``d into
place, so an interrupted write never leaves a half file.
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
import struct
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA_ROOT_ENV = "GEN_DATA_ROOT"

Progress = Callable[[str], None]


def silent(message: str) -> None:
    """A ``Progress`` that says nothing."""


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


def by_hand_hint(root: Path) -> str:
    names = ", ".join(spec.name for spec in IDX_FILES)
    return (
        f"To supply MNIST by hand, copy the four uncompressed IDX files ({names}) into "
        f"{raw_dir(root)}/, or point {DATA_ROOT_ENV} (pytest --gen-data-root, "
        "python -m suite fetch-data --data-root) at a torchvision-layout root that holds them "
        "in MNIST/raw/."
    )


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
        raise MnistUnavailable(f"no MNIST IDX files in {raw_dir(root)}; {by_hand_hint(root)}")
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
