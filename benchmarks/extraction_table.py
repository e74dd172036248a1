"""The README's table of what ingestion extracts from each real sample file, and what it leaves and why (issue 24).

    .venv/bin/python benchmarks/extraction_table.py > /tmp/table.md

One row per file: the PaNOSC vocabulary parameters extracted (value and unit as written), the count of other
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
    print("| file | vocabulary parameters extracted (as written) | other parameters | not extracted, and why |")
    print("|---|---|---|---|")
    for record in json.loads((DEFAULT_SAMPLES / "manifest.json").read_text()):
        path = DEFAULT_SAMPLES / record["file"]
        found = None
        with reader.read_tree(path, source_folder=path.parent) as tree, contextlib.suppress(ValueError):
            found = extract.extract(tree, relative_path=path.name)
        if found is None:
            print(f"| {record['file']} | (a link target of another file: no NXentry) | | |")
            continue
        named = [q for q in found.parameters if "." not in q.name and q.name != "sample_chemical_formula"]
        shown = ", ".join(f"{q.name} {q.number:.6g} {q.raw_unit}".strip() for q in named if q.number is not None)
        left = "; ".join(f"`{where}`: {why}" for where, why in NOT_EXTRACTED.get(record["file"], {}).items())
        print(f"| {record['file']} | {shown or '—'} | {len(found.parameters) - len(named)} | {left} |")


if __name__ == "__main__":
    main()
