"""Notebooks of datasets and DOIs over HTTP: what they hold for each caller, and the buttons that offer them."""

import ast
from urllib.parse import quote

import nbformat
import pytest
from django.test import override_settings

from catalogue.models import Preview
from tests.factories import DataFileFactory, DatasetFactory
from tests.landing.conftest import LEAK_TOKEN
from tests.landing.test_pages import html_tree, team_member_of

DATASET = "/datasets/esrf/dataset/000123"
DOI = "/doi/10.80000/ESRF-MA-5678"
EMBARGOED_DATASET = f"/datasets/esrf/dataset/{LEAK_TOKEN.lower()}"
EMBARGOED_DOI = "/doi/10.80000/ESRF-MX-9999"


def notebook_of(response) -> nbformat.NotebookNode:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/x-ipynb+json"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    notebook = nbformat.reads(response.content.decode(), as_version=4)
    nbformat.validate(notebook)
    return notebook


def text_of(notebook) -> str:
    return "\n".join(cell.source for cell in notebook.cells)


def code_of(notebook) -> str:
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")


def test_dataset_notebook_starts_with_citation_and_licence_and_explains_each_cell(anonymous_client, open_proposal):
    notebook = notebook_of(anonymous_client.get(f"{DATASET}/notebook.ipynb"))
    top = notebook.cells[0]
    assert top.cell_type == "markdown" and top.source.startswith("# Cement paste w/c 0.4 at 25 °C")
    assert "**Cite as:** Lovelace, A." in top.source and "https://doi.org/10.80000/ESRF-MA-5678" in top.source
    assert "[Creative Commons Attribution 4.0 International](https://creativecommons.org/licenses/by/4.0/)" in (
        top.source
    )
    for before, cell in zip(notebook.cells, notebook.cells[1:], strict=False):
        if cell.cell_type == "code":
            assert before.cell_type == "markdown", cell.source[:80]  # every code cell is explained first
    code = code_of(notebook)
    assert "'url': 'http://127.0.0.1:8000/datasets/esrf/dataset/000123/files/" in code
    assert "'title': 'Cement paste w/c 0.4 at 25 °C'" in code and "sample_temperature" in code
    assert "The data are open: the downloads need no login." in text_of(notebook)
    parameters = [cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(parameters) == 1 and "USE_LOCAL_FILES = True" in parameters[0].source


def test_dataset_notebook_redraws_the_stored_default_plot(anonymous_client, open_proposal):
    preview = Preview.objects.get(dataset__pid="esrf/dataset/000123")
    preview.caption = "The file's NeXus default plot: I (1/cm) of /entry/data."
    preview.choice = {
        "kind": "curve", "signal": "/entry/data/I", "shape": [50], "plotted": [0], "reduction": "", "reduced": [],
        "fixed": {}, "frames": 1, "x": {"path": "/entry/data/Q", "label": "Q (1/A)", "edges": False}, "y": None,
        "errors": "/entry/data/Idev", "auxiliary": [], "auxiliary_labels": [], "x_label": "Q (1/A)",
        "y_label": "I (1/cm)", "colour_label": None, "log": True, "log_x": False, "decades": 2.4, "low": 0.3,
        "high": 80.0, "step": 1, "equal_aspect": False, "axes": [],
    }  # fmt: skip
    preview.save()
    notebook = notebook_of(anonymous_client.get(f"{DATASET}/notebook.ipynb"))
    text = text_of(notebook)
    assert "**The default plot.** The file's NeXus default plot: I (1/cm) of /entry/data." in text
    code = code_of(notebook)
    for line in (
        "signal = f['/entry/data/I']",
        "x = f['/entry/data/Q'][...]",
        "errors = np.abs(np.asarray(f['/entry/data/Idev'][:], dtype=float))",
        'ax.set_yscale("log")',
        "ax.set_xlabel('Q (1/A)')",
    ):
        assert line in code, line


def test_embargoed_dataset_notebook_is_the_team_s_only(anonymous_client, outsider_client, embargoed_proposal):
    for client in (anonymous_client, outsider_client):
        for url in (f"{EMBARGOED_DATASET}/notebook.ipynb", f"{EMBARGOED_DOI}/notebook.ipynb"):
            response = client.get(url)
            assert response.status_code == 404, url
            assert LEAK_TOKEN not in response.content.decode()
    from tests.conftest import client_for

    member = client_for(team_member_of(embargoed_proposal))
    notebook = notebook_of(member.get(f"{EMBARGOED_DATASET}/notebook.ipynb"))
    text = text_of(notebook)
    assert f"raw/{LEAK_TOKEN}_0001.h5" in text and "**Embargoed data:**" in text
    assert "PANCOMMONS_API_TOKEN" in text and "cannot use your browser's login" in text
    assert member.get(f"{EMBARGOED_DATASET}/notebook.ipynb")["Cache-Control"] == "private, no-store"


def test_a_label_read_from_the_file_stays_inside_its_comment(anonymous_client, open_proposal):
    """A NeXus long_name is the file writer's text: a line break in it must not turn the rest into code that runs."""
    preview = Preview.objects.get(dataset__pid="esrf/dataset/000123")
    preview.choice = {
        "kind": "curve", "signal": "/entry/data/I", "shape": [50], "plotted": [0], "reduction": "", "reduced": [],
        "fixed": {}, "frames": 1, "x": None, "y": None, "errors": None, "auxiliary": [], "auxiliary_labels": [],
        "x_label": "Q (1/A)", "y_label": "I\n    import os; os.remove('thesis.tex')\r    #", "colour_label": None,
        "log": False, "log_x": False, "decades": 1.0, "low": 0.3, "high": 80.0, "step": 1, "equal_aspect": False,
        "axes": [],
    }  # fmt: skip
    preview.save()
    notebook = notebook_of(anonymous_client.get(f"{DATASET}/notebook.ipynb"))
    cells = [ast.parse(cell.source) for cell in notebook.cells if cell.cell_type == "code"]
    assert not [node for cell in cells for node in ast.walk(cell) if getattr(node, "attr", None) == "remove"]
    assert "# I import os; os.remove('thesis.tex') #, shape (50,)" in code_of(notebook)


@override_settings(EMBARGOED_METADATA="visible")
def test_visible_metadata_policy_gives_a_metadata_only_notebook(anonymous_client, embargoed_proposal):
    notebook = notebook_of(anonymous_client.get(f"{EMBARGOED_DATASET}/notebook.ipynb"))
    text = text_of(notebook)
    assert "this notebook shows its metadata only" in text
    assert "files = " not in code_of(notebook) and "/download" not in text and "source_folder" not in text


def test_doi_notebook_holds_only_the_datasets_the_caller_may_see(anonymous_client, open_proposal):
    secret = DatasetFactory(proposal=open_proposal, title=f"{LEAK_TOKEN} run", embargoed=True)
    DataFileFactory(dataset=secret, path=f"raw/{LEAK_TOKEN}.h5")
    DatasetFactory(proposal=open_proposal, title="Cement paste w/c 0.5")
    notebook = notebook_of(anonymous_client.get(f"{DOI}/notebook.ipynb"))
    text = text_of(notebook)
    assert LEAK_TOKEN not in text
    assert "It covers the 2 datasets you may see." in text
    assert "## 1. Cement paste w/c 0.4 at 25 °C" in text and "## 2. Cement paste w/c 0.5" in text
    member = team_member_of(open_proposal)
    from tests.conftest import client_for

    assert LEAK_TOKEN in text_of(notebook_of(client_for(member).get(f"{DOI}/notebook.ipynb")))


def test_doi_notebook_redirects_to_the_canonical_doi_and_answers_404_for_unknown_ones(anonymous_client, open_proposal):
    response = anonymous_client.get("/doi/10.80000/esrf-ma-5678/notebook.ipynb")
    assert response.status_code == 301 and response["Location"] == f"{DOI}/notebook.ipynb"
    assert anonymous_client.get("/doi/10.80000/NOPE/notebook.ipynb").status_code == 404


def test_pages_offer_the_notebook_download_and_no_hub_by_default(anonymous_client, open_proposal):
    for url in (DATASET, DOI):
        tree = html_tree(anonymous_client.get(url))
        [link] = tree.xpath("//section[@class='notebook']//a[@download]")
        assert link.get("href") == f"{url}/notebook.ipynb"
        assert not tree.xpath("//section[@class='notebook']//a[contains(., 'Open in')]")


@override_settings(
    NOTEBOOK_HUB_URL="https://hub.example.eu/hub/user-redirect/lab/tree?fromURL={url}", NOTEBOOK_HUB_NAME="Binder"
)
def test_hub_button_opens_the_notebook_of_open_data_only(anonymous_client, open_proposal, embargoed_proposal):
    tree = html_tree(anonymous_client.get(DATASET))
    [hub] = tree.xpath("//section[@class='notebook']//a[contains(., 'Open in Binder')]")
    notebook = quote(f"http://127.0.0.1:8000{DATASET}/notebook.ipynb", safe="")
    assert hub.get("href") == f"https://hub.example.eu/hub/user-redirect/lab/tree?fromURL={notebook}"
    from tests.conftest import client_for

    member = client_for(team_member_of(embargoed_proposal))
    tree = html_tree(member.get(EMBARGOED_DATASET))
    assert tree.xpath("//section[@class='notebook']//a[@download]")
    assert not tree.xpath("//section[@class='notebook']//a[contains(., 'Open in')]")  # a hub has no login


def test_notebook_refuses_other_methods(anonymous_client, open_proposal):
    assert anonymous_client.post(f"{DATASET}/notebook.ipynb").status_code == 405


@pytest.mark.parametrize("size", ["huge", ""])
def test_preview_answers_a_bad_size_with_400(anonymous_client, open_proposal, size):
    response = anonymous_client.get(f"{DATASET}/preview.png", {"size": size})
    assert response.status_code == 400 and response.json()["error"] == "bad size"
