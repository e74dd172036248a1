"""The H5Web viewer's h5grove routes on a multi-GB file: frame latency and memory; prints figures, asserts nothing.

    DATABASE_URL=postgres://…/pc_bench DEBUG=true .venv/bin/python benchmarks/viewer.py [--big-gb 4] [--requests 40]
                                                                                        [--work DIR] [--previews]

1. p50/p95 of one 2048 × 2048 frame as H5Web asks for it (/data?selection=i&format=bin&dtype=safe) from a generated
   multi-GB chunked NeXus file through Django's whole stack (visibility, the reading process, the fence, h5grove),
   beside a trivial route on the same file (/meta of the root) and beside h5py reading the same frame directly.
   Target: frame p95 ≤ 150 ms.
   The frames asked for hold random bytes just written (page cache warm); the rest of the file is sparse.
   The catalogue rows live in a transaction rolled back at the end: the database is left as it was.
2. Peak RSS of a fresh process serving 20 frames through the viewer's service, for a small and the multi-GB file:
   memory stays flat whatever the file size.
3. With --previews: preview time per file at ingestion over the real sample files (benchmarks/ingest.py, section 5).
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pancommons.settings")

import django

django.setup()

import h5py  # noqa: E402
import numpy as np  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from benchmarks.ingest import DEFAULT_SAMPLES, bench_previews, make_big_nexus  # noqa: E402
from tests.factories import DataFileFactory, DatasetFactory, FacilityFactory, InstrumentFactory  # noqa: E402

FRAMES = "/entry/instrument/detector/data"
FRAME_BYTES = 2048 * 2048 * 2


def write_frames(path: Path, count: int) -> list[int]:
    """Random bytes in `count` frames spread over the file; their indices."""
    rng = np.random.default_rng(20)
    with h5py.File(path, "r+") as handle:
        frames = handle[FRAMES]
        indices = np.linspace(0, frames.shape[0] - 1, count).astype(int).tolist()
        for index in indices:
            frames[index] = rng.integers(0, 65535, size=(2048, 2048), dtype=np.uint16)
    return indices


def percentiles(timings: list[float]) -> str:
    ordered = sorted(timings)
    return f"p50 {statistics.median(ordered):7.1f} ms   p95 {ordered[int(len(ordered) * 0.95) - 1]:7.1f} ms"


def bench_latency(work: Path, big: Path, requests: int) -> None:
    indices = write_frames(big, requests)
    setup_test_environment()
    client = Client()
    with transaction.atomic():
        facility = FacilityFactory(short_name="BENCHVIEW", storage_root=str(work))
        dataset = DatasetFactory(instrument=InstrumentFactory(facility=facility), source_folder=str(work))
        data_file = DataFileFactory(dataset=dataset, path=big.name)
        base = f"/datasets/{dataset.pid}/files/{data_file.pk}/h5grove"
        timed: dict[str, list[float]] = {"frame": [], "meta": [], "h5py": [], "frame CPU": [], "meta CPU": []}
        for index in indices:
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(
                f"{base}/data", {"path": FRAMES, "selection": str(index), "format": "bin", "dtype": "safe"}
            )
            timed["frame"].append((time.perf_counter() - started) * 1000)
            timed["frame CPU"].append((time.process_time() - cpu_started) * 1000)
            assert response.status_code == 200 and len(response.content) == FRAME_BYTES, response.content[:200]
            started, cpu_started = time.perf_counter(), time.process_time()
            assert client.get(f"{base}/meta", {"path": "/"}).status_code == 200
            timed["meta"].append((time.perf_counter() - started) * 1000)
            timed["meta CPU"].append((time.process_time() - cpu_started) * 1000)
            started = time.perf_counter()
            with h5py.File(big) as handle:
                handle[FRAMES][index].tobytes()
            timed["h5py"].append((time.perf_counter() - started) * 1000)
        whole = client.get(f"{base}/data", {"path": FRAMES, "format": "bin"})
        transaction.set_rollback(True)
    size_gb = big.stat().st_size / 1024**3
    print(f"viewer routes on a {size_gb:.1f} GB file, {requests} requests each (load average {os.getloadavg()[0]:.1f})")
    print(f"  2048×2048 uint16 frame (/data, bin)  {percentiles(timed['frame'])}   (target p95 ≤ 150 ms)")
    print(f"  trivial route (/meta of the root)    {percentiles(timed['meta'])}")
    print(f"  the same frame read with h5py alone  {percentiles(timed['h5py'])}")
    print(f"  CPU time: frame {percentiles(timed['frame CPU'])}; trivial route {percentiles(timed['meta CPU'])}")
    print(f"  the whole stack in one request       {whole.status_code}: {whole.json()['message']}")


def child_peak_rss(path: Path, frames: int) -> float:
    """Peak RSS (VmHWM, MB) of a fresh interpreter serving `frames` frames of `path` through landing.viewer.contents."""
    code = f"""
import re, sys
from pathlib import Path
import django
django.setup()
from landing.viewer import contents
path = Path(sys.argv[1])
for index in range({frames}):  # each answer dropped before the next, as a web worker does
    contents.data(file_path=path, path="{FRAMES}", selection=str(index), encoding="bin", dtype="safe", flatten=False,
                  dataset_files=frozenset([path.resolve()]), max_bytes=1 << 30)
print(int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) / 1024)
"""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", code, str(path)], check=True, capture_output=True, text=True, cwd=root)
    return float(re.findall(r"[\d.]+", done.stdout)[-1])


def bench_memory(work: Path, big: Path) -> None:
    small = work / "small.nxs"
    make_big_nexus(small, 0.25)
    print("peak RSS of a fresh process serving 20 frames through the viewer's service (beside: imports alone)")
    print(f"  imports, no frame          → {child_peak_rss(small, 0):7.1f} MB RSS")
    for path in (small, big):
        print(f"  {path.name:10s} {path.stat().st_size / 1024**3:6.2f} GB  → {child_peak_rss(path, 20):7.1f} MB RSS")
    small.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--big-gb", type=float, default=4.0)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--work", type=Path, default=None, help="Scratch folder (default: a temporary one).")
    parser.add_argument("--previews", action="store_true", help="Also preview time per file at ingestion.")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=options.work) as scratch:
        work = Path(scratch).resolve()
        big = work / "big.nxs"
        make_big_nexus(big, options.big_gb)
        bench_latency(work, big, options.requests)
        bench_memory(work, big)
    if options.previews:
        bench_previews(DEFAULT_SAMPLES, rounds=1)


if __name__ == "__main__":
    main()
