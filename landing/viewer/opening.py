"""Where the viewer opens a file: on the plot the dataset's page shows, when the file is the one holding the
dataset's entry.

At the file's root H5Web follows the file's NeXus `default` itself. That is the wrong place when the default is
broken (its data in an external file that was never stored: "Expected signal to be a dataset"), or when the file
holds several entries, each a dataset of its own. Ingestion already found what can be drawn and where
(catalogue.models.Preview), so the viewer opens there, or else on the dataset's own entry.
"""

from pathlib import Path

from catalogue.models import DataFile, Preview

ROOT = "/"


def opening_path(data_file: DataFile) -> str:
    """The HDF5 path H5Web selects first in `data_file`; the root in every file but the one holding the entry.

    There: the NXdata group the preview drew, when the file's own default led to it and the preview drew the group's
    coordinates (where H5Web, following that default from the root, would have gone too); else the signal it drew,
    alone, which H5Web draws as a plain dataset. H5Web refuses a whole group for faults the preview works around: an
    axis that is a broken link (k11-18014's /entry/imaging), a `title` of shape (1,) (IPNS), no NXdata class (Savu's
    detector groups). With no preview: the dataset's entry."""
    dataset = data_file.dataset
    if not dataset.source_path or Path(dataset.source_folder) / data_file.path != Path(dataset.source_path):
        return ROOT
    drawn = Preview.objects.filter(dataset=dataset).values_list("choice", flat=True).first() or {}
    if drawn.get("source") == "default" and drawn.get("axes"):
        return drawn["group"]
    return drawn.get("signal") or dataset.entry_path or ROOT
