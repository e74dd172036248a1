"""Streamed file checksums (blake2b by default, like the ESS scicat-ingestor); raw bytes, never through h5py."""

import hashlib
from pathlib import Path

ALGORITHMS = ("blake2b", "sha256", "md5")


def file_checksum(path: Path, *, algorithm: str = "blake2b") -> str:
    """Hex digest of the file's bytes, streamed through one 256 KiB buffer (flat memory whatever the size).

    hashlib's own loop: a 4 MiB buffer per call pushed glibc's mmap threshold up, so each later buffer came from the
    heap and a long-lived worker's memory grew by ~6 MiB over its first rounds (issue 26)."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown checksum algorithm {algorithm!r}; choose one of {', '.join(ALGORITHMS)}")
    with path.open("rb", buffering=0) as handle:
        return hashlib.file_digest(handle, algorithm).hexdigest()
