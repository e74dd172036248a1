"""Generated notebooks run: nbclient executes dataset and DOI notebooks of ingested sample files in a real kernel
(ipykernel on this virtualenv's Python), each downloading its files from the live test server.

A representative set runs by default (about a minute on this project's 2-core machine); PANCOMMONS_ALL_NOTEBOOKS=1
runs every dataset and DOI notebook of every sample file (see the README for how long).
"""

import os
import re
import time
from pathlib import Path

import nbformat
import pytest
import requests
from django.db.models import Q
from django.utils import timezone
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbformat.v4 import new_code_cell
from rest_framework.authtoken.models import Token

from catalogue import panet
from catalogue.management.commands.load_facilities import DEFAULT_REGISTRY
from catalogue.models import Dataset, Document
from catalogue.services import embargo, facilities, techniques
from ingest import services
from landing.services import collections, dois
from tests.conftest import SAMPLES_DIR, client_for
from tests.factories import MemberFactory, PersonFactory, UserFactory

pytestmark = [pytest.mark.notebook, pytest.mark.django_db(transaction=True)]

ANSI = re.compile(r"\x1b\[[0-9;]*m")  # colours of the kernel's tracebacks
ALL = os.environ.get("PANCOMMONS_ALL_NOTEBOOKS") == "1"
# One of each kind of plot and trap: signed uncertainties, a masked bitshuffle image, external links with a missing
# default plot and a stack summed, histogram edges on a mesh, 2-D canSAS coordinates, a VDS with no source file.
REPRESENTATIVE = [
    "NXcanSAS_examples/ILL_D22_sasxml_example.h5",
    "punx/APS_12IDB_S2p5min_00070_00001.h5",
    "httomo/k11-18014.nxs",
    "exampledata/IPNS_LRMECS_lrcs3701.nx5",
    "sasdata/ISIS_LARMOR_14250_2D_NXcanSAS_v3.h5",
    "exampledata/DLS_i04_Therm_6_2.nxs",
]
DATASET_NOTEBOOKS = 3  # of the representative files; a collection's DOI notebook runs all six in one


@pytest.fixture
def site(live_server, settings):
    """The live test server as this site, the facility registry and PaNET loaded, every sample open at once."""
    settings.SITE_URL = live_server.url
    settings.EMBARGO_PERIOD_YEARS = 0
    facilities.load_registry(path=DEFAULT_REGISTRY)
    techniques.load_panet(vocabulary=panet.vocabulary())
    return live_server


def ingest(relatives: list[str]) -> list[Dataset]:
    """Ingest sample files with the samples folder as source folder (files keep their layout), and mint DOIs."""
    plan = services.plan_ingestion(paths=[SAMPLES_DIR / relative for relative in relatives])
    datasets = [services.ingest_file(path=item.path, source_folder=SAMPLES_DIR).dataset for item in plan.files]
    for document in Document.objects.filter(datasets__isnull=False).distinct():
        dois.mint_doi(document_id=document.pk)
    return datasets


def run(notebook: nbformat.NotebookNode, folder: Path, **parameters: object) -> nbformat.NotebookNode:
    """Execute in a fresh kernel in `folder`, the parameters injected after the tagged cell as papermill does."""
    index = next(i for i, cell in enumerate(notebook.cells) if "parameters" in cell.metadata.get("tags", []))
    notebook.cells.insert(
        index + 1, new_code_cell("\n".join(f"{name} = {value!r}" for name, value in parameters.items()))
    )
    folder.mkdir(parents=True, exist_ok=True)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    return client.execute()


def fetched(url: str) -> nbformat.NotebookNode:
    response = requests.get(url, timeout=60)
    assert response.status_code == 200, (url, response.status_code)
    return nbformat.reads(response.text, as_version=4)


def images_in(notebook: nbformat.NotebookNode) -> int:
    return sum("image/png" in output.get("data", {}) for cell in notebook.cells for output in cell.get("outputs", []))


def test_dataset_and_doi_notebooks_run_and_download_their_files(site, tmp_path, capsys):
    if ALL:
        relatives = sorted(path.relative_to(SAMPLES_DIR).as_posix() for path in SAMPLES_DIR.rglob("*.*") if (
            path.suffix in (".h5", ".nxs", ".hdf", ".hdf5", ".nx5")))  # fmt: skip
    else:
        relatives = REPRESENTATIVE
    datasets = ingest(relatives)
    if ALL:
        documents = list(Document.objects.filter(datasets__in=datasets).distinct().order_by("pk"))
    else:
        owner = UserFactory(username="curator")
        pids = [dataset.pid for dataset in datasets]
        documents = [collections.create_collection(user=owner, title="Traps", description="", dataset_pids=pids)]
        datasets = datasets[:DATASET_NOTEBOOKS]
    urls = [f"{site.url}/datasets/{dataset.pid}/notebook.ipynb" for dataset in datasets]
    urls += [f"{site.url}/doi/{document.doi}/notebook.ipynb" for document in documents]
    failures, timings = [], []
    for number, url in enumerate(urls):
        folder = tmp_path / f"run{number}"
        started = time.perf_counter()
        try:
            notebook = run(fetched(url), folder, USE_LOCAL_FILES=False)
        except CellExecutionError as error:
            failures.append(f"{url}: {ANSI.sub('', str(error))[-1500:]}")
            continue
        timings.append(time.perf_counter() - started)
        covered = datasets[number : number + 1] if number < len(datasets) else Dataset.objects.filter(
            Q(proposal=documents[number - len(datasets)]) | Q(collections=documents[number - len(datasets)])
        ).distinct()  # fmt: skip
        assert images_in(notebook) == sum(dataset.preview.png is not None for dataset in covered), url
        for dataset in covered:
            for data_file in dataset.files.filter(is_missing=False):
                downloaded = folder / "pancommons-data" / notebook_slug(dataset.pid) / data_file.path
                assert downloaded.is_file() and downloaded.stat().st_size == data_file.size, downloaded
    assert not failures, "\n\n".join(failures)
    with capsys.disabled():
        print(f"\n{len(timings)} notebooks ran in {sum(timings):.0f} s ({max(timings):.1f} s the slowest)")


def notebook_slug(pid: str) -> str:
    return "".join(character if character.isalnum() or character in "-." else "_" for character in pid)


def test_notebook_opens_files_in_place_where_they_are_reachable(site, tmp_path):
    [dataset] = ingest(["NXcanSAS_examples/DLS_I22_gc14.h5"])
    notebook = run(fetched(f"{site.url}/datasets/{dataset.pid}/notebook.ipynb"), tmp_path)
    outputs = "".join(output.get("text", "") for cell in notebook.cells for output in cell.get("outputs", []))
    assert str(SAMPLES_DIR / "NXcanSAS_examples/DLS_I22_gc14.h5") in outputs
    assert not (tmp_path / "pancommons-data").exists() and images_in(notebook) == 1


def test_embargoed_notebook_downloads_with_the_team_s_token_and_says_why_not_without(site, tmp_path, monkeypatch):
    [dataset] = ingest(["NXcanSAS_examples/DLS_I22_gc14.h5"])
    dataset.release_date_override = timezone.now() + timezone.timedelta(days=365)
    dataset.save()
    embargo.refresh_release_dates(dataset)
    user = UserFactory(username="scientist")
    MemberFactory(document=dataset.proposal, person=PersonFactory(user=user))
    response = client_for(user).get(f"/datasets/{dataset.pid}/notebook.ipynb")
    assert requests.get(f"{site.url}/datasets/{dataset.pid}/notebook.ipynb", timeout=60).status_code == 404
    source = response.content.decode()

    with pytest.raises(CellExecutionError, match="embargoed files need the team's login"):
        run(nbformat.reads(source, as_version=4), tmp_path / "without", USE_LOCAL_FILES=False)
    monkeypatch.setenv("PANCOMMONS_API_TOKEN", Token.objects.create(user=user).key)  # the kernel inherits it
    notebook = run(nbformat.reads(source, as_version=4), tmp_path / "with", USE_LOCAL_FILES=False)
    assert images_in(notebook) == 1
    assert (
        tmp_path / "with/pancommons-data" / notebook_slug(dataset.pid) / "NXcanSAS_examples/DLS_I22_gc14.h5"
    ).is_file()
