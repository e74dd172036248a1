"""Ingestion speed and memory: prints figures, asserts nothing (issue 4, "Must hold" targets).

    .venv/bin/python benchmarks/ingest.py [--samples DIR] [--big-gb 4] [--checksum-gb 1] [--work DIR] [--database]
                                         [--previews-only] [--peer DIR] [--free-scalars N ...]

1. Metadata (sniff + one walk + extraction, no database) over the 32 real sample files: files/s, median and p90 ms
   per file, peak RSS. Target: median ≤ 10 ms, RSS ≤ 150 MB. With --peer DIR (the ESS scicat-ingestor installed as
   ../shared/peers/scicat-ingestor/README.md says), ours (sniff + read + extract + blake2b) and the peer's own
   per-file functions (peer_bench.py, blake2b included) run interleaved on the same files, file by file, in one run:
   both medians and p90s and their ratios (issue 26), and for our four slowest files the time h5py alone takes over
   the objects ours opens in them (a lower bound for any reader on h5py that extracts as much); each
   --free-scalars N (the INGEST_FREE_SCALARS setting, default 200) gets its own such run.
1b. Flat memory: a fresh process does ours over the 32 files 20 times; its RSS after round 1 and after the last.
2. Checksum throughput of the streamed blake2b/sha256 beside `b2sum`/`sha256sum` on the same file (page cache warm
   for both). Target: ≥ 90 % of the command-line tool.
3. Peak RSS of metadata + checksum of a generated multi-GB NeXus file with large chunked datasets, each in a fresh
   process, beside the same for a small sample: memory stays flat whatever the file size.
4. With --database (DATABASE_URL set): the whole write service per real file (checksum, preview, one transaction),
   all rolled back at the end so the database is left as it was.
5. Previews at ingestion (choose the plot, read it in slices, draw page and card PNGs) per real file, beside the
   metadata time of the same file in the same run: median and p90 ms; peak RSS of a preview of the multi-GB file
   (its first 2048 × 2048 frame) beside a small sample's, each in a fresh process.
"""

import argparse
import contextlib
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.nexus import checksums, extract, previews, reader

DEFAULT_SAMPLES = Path(
    os.environ.get("NEXUS_SAMPLES_DIR", Path(__file__).resolve().parents[2] / "shared/nexus-samples")
)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def metadata_once(path: Path, free_scalars: int = extract.MAX_PARAMETERS) -> None:
    reader.sniff(path, source_folder=path.parent)
    with reader.read_tree(path, source_folder=path.parent) as tree, contextlib.suppress(ValueError):
        # link targets have no NXentry: ValueError
        extract.extract_all(tree, relative_path=path.name, free_scalars=free_scalars)


def bench_metadata(samples: Path, rounds: int, free_scalars: int) -> None:
    manifest = json.loads((samples / "manifest.json").read_text())
    files = [samples / record["file"] for record in manifest]
    started = time.perf_counter()
    metadata_once(files[0])
    first = (time.perf_counter() - started) * 1000
    timings: list[float] = []
    cpu: list[float] = []
    total_started = time.perf_counter()
    for _ in range(rounds):
        for path in files:
            started, cpu_started = time.perf_counter(), time.process_time()
            metadata_once(path, free_scalars)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
    total = time.perf_counter() - total_started
    timings.sort()
    load = os.getloadavg()[0]
    print(f"metadata over {len(files)} real files × {rounds} rounds (load average {load:.1f} on {os.cpu_count()} CPUs)")
    print(f"  first file (cold, after imports): {first:8.1f} ms")
    print(f"  files/s:                          {len(timings) / total:8.1f}")
    print(f"  median ms per file:               {statistics.median(timings):8.2f}   (target ≤ 10)")
    print(f"  median CPU ms per file:           {statistics.median(cpu):8.2f}   (what a busy machine does not inflate)")
    print(f"  p90 ms per file:                  {timings[int(len(timings) * 0.9)]:8.2f}")
    print(f"  slowest ms per file:              {timings[-1]:8.2f}")
    print(f"  peak RSS:                         {peak_rss_mb():8.1f} MB (target ≤ 150)")


def ours_once(path: Path, free_scalars: int = extract.MAX_PARAMETERS) -> None:
    """What the peer's timed block does for one file: recognise, read, extract, blake2b of the file."""
    metadata_once(path, free_scalars)
    checksums.file_checksum(path, algorithm="blake2b")


def objects_opened(path: Path, free_scalars: int) -> list[tuple[bytes, bool]]:
    """The objects our reader opens to extract a file, as (path in the file, whether a field)."""
    with reader.read_tree(path, source_folder=path.parent) as tree:
        with contextlib.suppress(ValueError):
            extract.extract_all(tree, relative_path=path.name, free_scalars=free_scalars)
        return [(node.path.encode(), isinstance(node, reader.Field)) for node in tree.nodes.values()]


def library_floor_ms(path: Path, objects: list[tuple[bytes, bool]], rounds: int) -> float:
    """h5py alone over the objects our reader opens, plus the blake2b: each object opened, its attribute names
    listed, a small numeric or fixed-text field's value read, closed. A lower bound for any reader built on h5py
    that extracts as much (best of `rounds`, in ms)."""

    def once() -> None:
        with h5py.File(path, "r") as handle:
            for name, is_field in objects:
                node = h5py.h5o.open(handle.id, name)
                h5py.h5a.iterate(node, lambda _name: None)
                if is_field and node.shape is not None and math.prod(node.shape) <= reader.MAX_ARRAY_ITEMS:
                    dtype = node.dtype
                    if dtype.kind in "biufS":
                        node.read(h5py.h5s.ALL, h5py.h5s.ALL, np.empty(node.shape, dtype=dtype))
        checksums.file_checksum(path, algorithm="blake2b")

    return best_of(rounds, once) * 1000


def percentile_90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(len(ordered) * 0.9)]


def bench_versus_peer(samples: Path, peer: Path, rounds: int, free_scalars: int) -> None:
    manifest = json.loads((samples / "manifest.json").read_text())
    files = [samples / record["file"] for record in manifest]
    driver = Path(__file__).resolve().parents[2] / "shared/peers/scicat-ingestor/peer_bench.py"
    process = subprocess.Popen(
        [str(peer / "venv/bin/python"), str(driver), "--serve", str(files[0])],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PEER_DIR": str(peer)},
    )
    assert process.stdin and process.stdout
    json.loads(process.stdout.readline())  # {"ready": true}: imports and schemas done, as before a worker's first file

    def peer_once(path: Path) -> dict:
        assert process.stdin and process.stdout
        process.stdin.write(f"{path}\n")
        process.stdin.flush()
        return json.loads(process.stdout.readline())

    for path in files:  # warm both: page cache, imports, first-call caches
        ours_once(path, free_scalars)
        peer_once(path)
    ours: dict[Path, list[tuple[float, float]]] = {path: [] for path in files}
    theirs: dict[Path, list[tuple[float, float]]] = {path: [] for path in files}
    errors: set[str] = set()
    loads = [os.getloadavg()[0]]
    for round_number in range(rounds):
        for path in files:
            for side in ("ours", "peer") if round_number % 2 == 0 else ("peer", "ours"):
                if side == "ours":
                    started, cpu_started = time.perf_counter(), time.process_time()
                    ours_once(path, free_scalars)
                    elapsed = (time.perf_counter() - started) * 1000, (time.process_time() - cpu_started) * 1000
                    ours[path].append(elapsed)
                else:
                    line = peer_once(path)
                    theirs[path].append((line["ms"], line["cpu_ms"]))
                    if line.get("error"):
                        errors.add(f"{path.name}: {line['error']}")
        loads.append(os.getloadavg()[0])
    process.stdin.close()
    process.wait()
    # Per file, the median of its rounds; then the median and p90 over the files (as the figures).
    figures = {}
    for label, timings in (("ours", ours), ("peer", theirs)):
        wall = [statistics.median(pair[0] for pair in timings[path]) for path in files]
        cpu = [statistics.median(pair[1] for pair in timings[path]) for path in files]
        figures[label] = (wall, cpu)
    print(
        f"ours (free scalars ≤ {free_scalars}) beside the peer (ESS scicat-ingestor), interleaved,"
        f" {len(files)} real files × {rounds} rounds;"
        f" load average {min(loads):.1f}–{max(loads):.1f} on {os.cpu_count()} CPUs"
    )
    print("                          wall median    p90    CPU median    p90   (ms per file, blake2b included)")
    for label in ("ours", "peer"):
        wall, cpu = figures[label]
        print(
            f"  {label:22s} {statistics.median(wall):11.2f} {percentile_90(wall):7.2f}"
            f" {statistics.median(cpu):12.2f} {percentile_90(cpu):7.2f}"
        )
    (wall, cpu), (peer_wall, peer_cpu) = figures["ours"], figures["peer"]
    print(
        f"  ours / peer            {statistics.median(wall) / statistics.median(peer_wall):11.2f}"
        f" {percentile_90(wall) / percentile_90(peer_wall):7.2f}"
        f" {statistics.median(cpu) / statistics.median(peer_cpu):12.2f}"
        f" {percentile_90(cpu) / percentile_90(peer_cpu):7.2f}"
    )
    faster = sum(1 for mine, other in zip(wall, peer_wall, strict=True) if mine <= other)
    print(f"  files where ours is faster (wall): {faster} of {len(files)}")
    slowest = sorted(zip(wall, peer_wall, files, strict=True), reverse=True)[:4]
    print("  slowest of ours (wall, ours / peer): " + ", ".join(f"{p.name} {a:.1f} / {b:.1f}" for a, b, p in slowest))
    floors = []
    for _, _, path in slowest:
        objects = objects_opened(path, free_scalars)
        floors.append(f"{path.name} {library_floor_ms(path, objects, rounds):.1f} ({len(objects)} objects)")
    print("  h5py alone over the objects ours opens in them, blake2b included (ms): " + ", ".join(floors))
    if errors:
        print(f"  peer errors on {len(errors)} files: " + "; ".join(sorted(errors)[:3]))


def bench_worker_memory(samples: Path, rounds: int) -> None:
    """RSS of one long-lived process doing ours over every file `rounds` times (after round 1 and after the last)."""
    code = (
        "import json, re, sys; from pathlib import Path; sys.path.insert(0, '.');"
        "from benchmarks.ingest import ours_once;"
        "samples = Path(sys.argv[1]); rounds = int(sys.argv[2]);"
        "files = [samples / r['file'] for r in json.loads((samples / 'manifest.json').read_text())];"
        "rss = lambda: int(re.search(r'VmRSS:\\s+(\\d+)', open('/proc/self/status').read()).group(1)) / 1024;"
        "before = rss(); seen = []\n"
        "for _ in range(rounds):\n"
        "    [ours_once(path) for path in files]; seen.append(rss())\n"
        "print(json.dumps([before, *seen]))"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", code, str(samples), str(rounds)], check=True, capture_output=True, text=True, cwd=root
    )
    before, *after = json.loads(done.stdout)
    print(f"memory of one process doing ours over the 32 files × {rounds} rounds (RSS, MiB)")
    print(f"  after imports {before:6.1f}, after round 1 {after[0]:6.1f}, after round {rounds} {after[-1]:6.1f}")
    print(f"  growth after round 1: {after[-1] - after[0]:+.1f} MiB (target within 5)")


def bench_checksum(work: Path, size_gb: float) -> None:
    path = work / "checksum.bin"
    chunk = os.urandom(16 * 1024 * 1024)
    with path.open("wb") as handle:
        for _ in range(max(1, int(size_gb * 1024 / 16))):
            handle.write(chunk)
    size_mb = path.stat().st_size / 1024**2
    print(f"checksum of a {size_mb:.0f} MB file (page cache warm)")
    for algorithm, tool in (("blake2b", "b2sum"), ("sha256", "sha256sum")):
        ours = best_of(3, lambda algorithm=algorithm: checksums.file_checksum(path, algorithm=algorithm))
        line = f"  {algorithm:8s} ours {size_mb / ours:8.0f} MB/s"
        if shutil.which(tool):
            theirs = best_of(3, lambda tool=tool: subprocess.run([tool, str(path)], check=True, capture_output=True))
            line += f"   {tool} {size_mb / theirs:8.0f} MB/s   ratio {theirs / ours:5.0%} (target ≥ 90 %)"
        print(line)
    path.unlink()


def best_of(rounds: int, action) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def make_big_nexus(path: Path, size_gb: float) -> None:
    """A NeXus file with large chunked, compressed-layout datasets whose chunks are allocated but not written (sparse
    on disk, multi-GB in size), plus NXdata, a monochromator and a sample like a real master file."""
    import h5py
    import numpy as np

    with h5py.File(path, "w") as handle:
        entry = handle.create_group("entry")
        entry.attrs["NX_class"] = "NXentry"
        entry["title"] = "generated multi-GB acquisition"
        entry["start_time"] = "2025-01-01T10:00:00Z"
        instrument = entry.create_group("instrument")
        instrument.attrs["NX_class"] = "NXinstrument"
        detector = instrument.create_group("detector")
        detector.attrs["NX_class"] = "NXdetector"
        frames = int(size_gb * 1024**3 / (2048 * 2048 * 2))
        create = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        create.set_chunk((1, 2048, 2048))
        create.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
        create.set_fill_time(h5py.h5d.FILL_TIME_NEVER)
        space = h5py.h5s.create_simple((frames, 2048, 2048))
        h5py.h5d.create(detector.id, b"data", h5py.h5t.NATIVE_UINT16, space, dcpl=create)
        data = entry.create_group("data")
        data.attrs["NX_class"] = "NXdata"
        data.attrs["signal"] = "data"
        data["data"] = h5py.SoftLink("/entry/instrument/detector/data")
        for index in range(200):
            data[f"axis_{index}"] = np.arange(16, dtype=float)


def child_peak_rss(path: Path, *, preview: bool = False) -> float:
    """Metadata + checksum (or + preview) of `path` in a fresh interpreter; its peak RSS in MB.

    Read from VmHWM: Linux's ru_maxrss of a child starts at its parent's peak (kept across fork and exec), which after
    the sections above would hide the child's own figure.
    """
    work = "checksums.file_checksum(p)" if not preview else "previews.make(p, t, t.group(e.entry_path))"
    code = (
        "import re, sys; from pathlib import Path;"
        "from ingest.nexus import reader, extract, checksums, previews;"
        "p = Path(sys.argv[1]); t = reader.read_tree(p, source_folder=p.parent);"
        f"e = extract.extract(t, relative_path=p.name); {work};"
        "print(int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)) / 1024)"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", code, str(path)], check=True, capture_output=True, text=True, cwd=root)
    return float(done.stdout.strip())


def bench_flat_memory(samples: Path, work: Path, size_gb: float) -> None:
    big = work / "big.nxs"
    make_big_nexus(big, size_gb)
    small = samples / "exampledata/PSI_SINQ_DMC_dmc01.h5"
    for what, preview in (("metadata + checksum", False), ("metadata + preview", True)):
        print(f"peak RSS of {what}, fresh process per file")
        for path in (small, big):
            rss = child_peak_rss(path, preview=preview)
            print(f"  {path.name:28s} {path.stat().st_size / 1024**2:10.2f} MB  → {rss:7.1f} MB RSS")
    big.unlink()


def bench_previews(samples: Path, rounds: int) -> None:
    """Preview and metadata time of each real file, measured one after the other on the same file (wall and CPU)."""
    manifest = json.loads((samples / "manifest.json").read_text())
    timings: dict[str, list[tuple[float, float]]] = {"metadata": [], "preview": [], "drawn": []}
    slowest: dict[str, float] = {}
    for _ in range(rounds):
        for record in manifest:
            path = samples / record["file"]
            started, cpu_started = time.perf_counter(), time.process_time()
            reader.sniff(path, source_folder=path.parent)
            with reader.read_tree(path, source_folder=path.parent) as tree:
                try:
                    entry = extract.extract(tree, relative_path=path.name).entry_path
                except ValueError:  # not a NeXus entry: no dataset, no preview
                    continue
                timings["metadata"].append(
                    ((time.perf_counter() - started) * 1000, (time.process_time() - cpu_started) * 1000)
                )
                started, cpu_started = time.perf_counter(), time.process_time()
                group = tree.group(entry)
                assert group is not None, entry
                result = previews.make(path, tree, group)
                elapsed = ((time.perf_counter() - started) * 1000, (time.process_time() - cpu_started) * 1000)
            timings["preview"].append(elapsed)
            if result.png is not None:
                timings["drawn"].append(elapsed)
                slowest[record["file"]] = max(slowest.get(record["file"], 0.0), elapsed[0])
    load = os.getloadavg()[0]
    files = len(timings["preview"]) // rounds
    print(f"previews at ingestion over {files} real files × {rounds} rounds (load average {load:.1f})")
    print("                                    wall median   p90    CPU median   p90   (ms per file)")
    for label, key in (
        ("metadata (sniff, walk, extract)", "metadata"),
        ("preview, every file", "preview"),
        (f"preview, the {len(timings['drawn']) // rounds} drawn", "drawn"),
    ):
        wall = sorted(pair[0] for pair in timings[key])
        cpu = sorted(pair[1] for pair in timings[key])
        p90 = int(len(wall) * 0.9)
        medians = f"{statistics.median(wall):9.1f} {wall[p90]:7.1f} {statistics.median(cpu):11.1f} {cpu[p90]:7.1f}"
        print(f"  {label:32s} {medians}")
    worst = sorted(slowest.items(), key=lambda item: -item[1])[:3]
    print("  slowest previews (wall): " + ", ".join(f"{Path(name).name} {ms:.0f} ms" for name, ms in worst))


def bench_database(samples: Path) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pancommons.settings")
    django.setup()
    from django.db import transaction

    from ingest import services

    manifest = json.loads((samples / "manifest.json").read_text())
    plan = services.plan_ingestion(paths=[samples / record["file"] for record in manifest])
    timings = []
    with transaction.atomic():
        for planned in plan.files:
            started = time.perf_counter()
            services.ingest_file(path=planned.path, source_folder=planned.source_folder)
            timings.append((time.perf_counter() - started) * 1000)
        transaction.set_rollback(True)
    timings.sort()
    print(f"write service (metadata, checksums, preview, one transaction) over {len(timings)} masters, rolled back")
    print(f"  median ms per file:               {statistics.median(timings):8.1f}")
    print(f"  slowest ms per file:              {timings[-1]:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--checksum-gb", type=float, default=1.0)
    parser.add_argument("--big-gb", type=float, default=4.0)
    parser.add_argument("--work", type=Path, default=None, help="Scratch folder (default: a temporary one).")
    parser.add_argument("--database", action="store_true", help="Also time the write service (needs DATABASE_URL).")
    parser.add_argument("--previews-only", action="store_true", help="Only the preview figures (section 5).")
    parser.add_argument("--peer", type=Path, default=None, help="The scicat-ingestor install folder (PEER_DIR).")
    parser.add_argument("--peer-only", action="store_true", help="Only ours beside the peer and the worker memory.")
    parser.add_argument(
        "--free-scalars",
        type=int,
        action="append",
        help="INGEST_FREE_SCALARS to measure ours with (repeat for several, each beside the peer; default 200).",
    )
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=arguments.work) as scratch:
        work = Path(scratch)
        if arguments.previews_only:
            bench_previews(arguments.samples, arguments.rounds)
            bench_flat_memory(arguments.samples, work, arguments.big_gb)
            return
        for free_scalars in arguments.free_scalars or [extract.MAX_PARAMETERS]:
            if arguments.peer is not None:
                bench_versus_peer(arguments.samples, arguments.peer, arguments.rounds, free_scalars)
            else:
                bench_metadata(arguments.samples, arguments.rounds, free_scalars)
        bench_worker_memory(arguments.samples, 20)
        if arguments.peer_only:
            return
        bench_previews(arguments.samples, max(1, arguments.rounds // 2))
        bench_checksum(work, arguments.checksum_gb)
        bench_flat_memory(arguments.samples, work, arguments.big_gb)
    if arguments.database:
        bench_database(arguments.samples)


if __name__ == "__main__":
    main()
