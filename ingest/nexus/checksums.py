"""Streamed file checksums (blake2b by default, like the ESS scicat-ingestor); raw bytes, never through h5py."""

import hashlib
from pathlib import Path

ALGORITHMS = ("blake2b", "sha256", "md5")
CHUNK_BYTES = 4 * 1024 * 1024


def file_checksum(path: Path, *, algorithm: str = "blake2b") -> str:
    """Hex digest of the file's bytes, read in 4 MiB chunks into one reused buffer (flat memory whatever the size)."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown checksum algorithm {algorithm!r}; choose one of {', '.join(ALGORITHMS)}")
    digest = hashlib.new(algorithm)
    buffer = bytearray(CHUNK_BYTES)
    view = memoryview(buffer)
    with path.open("rb", buffering=0) as handle:
        while read := handle.readinto(buffer):
            digest.update(view[:read])
    return digest.hexdigest()
