"""What ingestion takes from a file, as run by the reading process (ingest.isolation): its facts, an extraction and
a preview per entry; the files it links to; a preview drawn again. Free of Django: the reading process touches no
database, and its results cross back pickled."""

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import h5py

from ingest.nexus import extract, reader
from ingest.nexus.reader import FileRejected

if TYPE_CHECKING:
    from ingest.nexus.previews import PreviewResult

logger = logging.getLogger(__name__)


def read_file(
    path: Path, source_folder: Path, *, relative: str, free_scalars: int
) -> tuple[reader.FileFacts, tuple[extract.Extraction, ...], list["PreviewResult"]]:
    """The file's facts, an extraction per entry (extract.extract_all) and their previews; raises FileRejected or
    FileBusy."""
    facts = reader.sniff(path, source_folder=source_folder)
    with reader.read_tree(path, source_folder=source_folder) as tree:
        try:
            extractions = extract.extract_all(tree, relative_path=relative, free_scalars=free_scalars)
        except ValueError as error:
            raise FileRejected(str(error)) from error
        except (OSError, RuntimeError) as error:
            # The reader reads groups and fields as extraction asks: HDF5 meets a damaged part of the file here.
            raise FileRejected(reader.damaged(error)) from error
        return facts, extractions, [_preview(path, tree, extraction.entry_path) for extraction in extractions]


def draw_preview(path: Path, source_folder: Path, *, entry_path: str) -> "PreviewResult":
    """The entry's preview drawn again from the file; raises FileRejected or FileBusy."""
    with reader.read_tree(path, source_folder=source_folder) as tree:
        return _preview(path, tree, entry_path)


def link_targets(path: Path) -> set[Path]:
    """Real paths of the files `path` points at through external links or VDS sources (headers only)."""
    targets: set[Path] = set()
    try:
        if not h5py.is_hdf5(str(path)):
            return targets
        with h5py.File(path, "r") as handle:

            def visit(name: str, link: h5py.HardLink | h5py.SoftLink | h5py.ExternalLink) -> None:
                if isinstance(link, h5py.ExternalLink):
                    targets.add(Path(os.path.realpath(path.parent / link.filename)))
                elif isinstance(link, h5py.HardLink):
                    obj = handle.get(name)
                    if isinstance(obj, h5py.Dataset) and obj.is_virtual:
                        for source in obj.virtual_sources():
                            if source.file_name != ".":
                                targets.add(Path(os.path.realpath(path.parent / source.file_name)))

            handle.visititems_links(visit)
    except (OSError, RuntimeError, ValueError):
        pass  # a file we cannot read links nowhere; its own job reports why
    return targets


def _preview(path: Path, tree: reader.Tree, entry_path: str) -> "PreviewResult":
    """The entry's preview; a drawing that fails never fails the ingestion."""
    from ingest.nexus import previews  # Matplotlib weighs ~40 MB: imported on the first drawing

    entry = tree.group(entry_path)
    if entry is None:
        return previews.PreviewResult("", None, unavailable_reason=f"no entry {entry_path} in the file")
    try:
        return previews.make(path, tree, entry)
    except Exception as error:  # the record matters more than its picture; the reason goes to the stewards
        logger.exception("preview of %s failed", path)
        return previews.PreviewResult("", None, unavailable_reason=f"drawing failed: {type(error).__name__}: {error}")
