"""The README's table of what ingestion extracts from each real sample file, and what it leaves and why (issue 24).

    .venv/bin/python benchmarks/extraction_table.py > /tmp/table.md

One row per file: the datasets it becomes (one per NXentry and per NXsubentry with its own definition), and for the
primary entry's dataset the PaNOSC vocabulary parameters extracted (value and unit as written), the count of other
parameters (free NXcollection/NXnote scalars), and the vocabulary-like values left out with the reason, from
tests/ingest/expected.py (NOT_EXTRACTED), which the table test holds to the files.
"""

import contextlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.ingest import DEFAULT_SAMPLES
from ingest.nexus import extract, reader
from tests.ingest.expected import NOT_EXTRACTED


def main() -> None:
    print(
        "| file | datasets | vocabulary parameters extracted (as written) | other parameters | not extracted, and why |"
    )
    print("|---|---|---|---|---|")
    for record in json.loads((DEFAULT_SAMPLES / "manifest.json").read_text()):
        path = DEFAULT_SAMPLES / record["file"]
        every: tuple[extract.Extraction, ...] = ()
        with reader.read_tree(path, source_folder=path.parent) as tree, contextlib.suppress(ValueError):
            every = extract.extract_all(tree, relative_path=path.name)
        if not every:
            print(f"| {record['file']} | 0 | (a link target of another file: no NXentry) | | |")
            continue
        found = every[0]  # the primary entry's; the others are its further entries and subentries
        named = [q for q in found.parameters if "." not in q.name and q.name != "sample_chemical_formula"]
        shown = ", ".join(f"{q.name} {q.number:.6g} {q.raw_unit}".strip() for q in named if q.number is not None)
        left = "; ".join(f"`{where}`: {why}" for where, why in NOT_EXTRACTED.get(record["file"], {}).items())
        others = len(found.parameters) - len(named)
        print(f"| {record['file']} | {len(every)} | {shown or '—'} | {others} | {left} |")


if __name__ == "__main__":
    main()
