"""RO-Crates (issue 19): a dataset's zip, downloaded over HTTP from a live server, carries ro-crate-metadata.json
that passes roc-validator at the required level (RO-Crate 1.3) and describes the files it sits beside; a DOI serves
the crate of its datasets. Real NeXus files from ../shared/nexus-samples, ingested for real."""

import io
import json
import zipfile
from pathlib import Path

import pytest
import requests
import rocrate
from rocrate_validator import models, services
from rocrate_validator.utils.http import HttpRequester

from catalogue.models import DataFile, Dataset, Document, DoiState
from catalogue.services import opening
from tests.factories import MemberFactory, PersonFactory, TechniqueFactory
from tests.ingest.conftest import ingest, registry  # noqa: F401  fixtures: real files ingested
from tests.landing.conftest import LEAK_TOKEN

pytestmark = pytest.mark.django_db(transaction=True)

PANET = "http://purl.org/pan-science/PaNET/"


# The published RO-Crate context as ro-crate-py ships it: the validator reads it from there, not from the network.
CONTEXTS = {"https://w3id.org/ro/crate/1.3/context": Path(rocrate.__file__).parent / "data" / "ro-crate.jsonld"}


def offline_get(requester: HttpRequester, url: str, *args: object, **kwargs: object) -> requests.Response:
    assert url in CONTEXTS, f"the validator asked the network for {url}"
    response = requests.Response()
    response.status_code, response.url, response._content = 200, url, CONTEXTS[url].read_bytes()
    response.headers["Content-Type"] = "application/ld+json"
    return response


def validation_issues(crate_root: Path, monkeypatch) -> list[str]:
    """roc-validator's required-level issues with the crate in `crate_root` (RO-Crate 1.3 profile)."""
    monkeypatch.setattr(HttpRequester, "get", offline_get, raising=False)  # else __getattr__ reaches the network
    result = services.validate(
        models.ValidationSettings(
            rocrate_uri=str(crate_root),
            profile_identifier="ro-crate-1.3",
            requirement_severity=models.Severity.REQUIRED,
            disable_remote_crate_download=True,
        )
    )
    return [f"{issue.check.identifier}: {issue.message}" for issue in result.get_issues()]


def entities(crate: dict) -> dict[str, dict]:
    return {entity["@id"]: entity for entity in crate["@graph"]}


@pytest.fixture
def ingested(ingest):  # noqa: F811
    """A real SAS file ingested, its proposal given a findable DOI, a licence and a creator with an ORCID."""
    job = ingest("NXcanSAS_examples/DLS_I22_gc14.h5")
    dataset = job.dataset
    proposal = dataset.proposal
    Document.objects.filter(pk=proposal.pk).update(
        doi="10.80000/DLS-CRATE-1", doi_state=DoiState.FINDABLE, licence="CC-BY-4.0"
    )
    MemberFactory(
        document=proposal,
        position=0,
        person=PersonFactory(full_name="Ada Lovelace", first_name="Ada", last_name="Lovelace"),
    )
    dataset.techniques.add(TechniqueFactory(panet_id="PaNET01188", name="small angle x-ray scattering"))
    opening.open_now(proposal, by=None)  # the file carries no time: its embargo would count from today
    return Dataset.objects.select_related("proposal", "instrument__facility").get(pk=dataset.pk)


def download_zip(live_server, dataset: Dataset, tmp_path: Path) -> tuple[zipfile.ZipFile, Path]:
    response = requests.get(f"{live_server.url}/datasets/{dataset.pid}/download.zip", timeout=60)
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/zip"
    assert int(response.headers["Content-Length"]) == len(response.content)
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    archive.extractall(tmp_path / "unzipped")
    [folder] = (tmp_path / "unzipped").iterdir()
    return archive, folder


def test_dataset_zip_carries_a_valid_ro_crate_of_its_files(live_server, ingested, tmp_path, monkeypatch):
    _, folder = download_zip(live_server, ingested, tmp_path)
    crate = json.loads((folder / "ro-crate-metadata.json").read_text())
    issues = validation_issues(folder, monkeypatch)
    assert not issues, "\n".join(issues)
    graph = entities(crate)
    assert graph["ro-crate-metadata.json"]["conformsTo"] == {"@id": "https://w3id.org/ro/crate/1.3"}
    root = graph["./"]
    assert root["name"] == ingested.title
    for data_file in DataFile.objects.filter(dataset=ingested):
        entity = graph[data_file.path]
        assert entity["@type"] == "File" and entity["encodingFormat"] == "application/x-hdf5"
        assert entity["contentSize"] == str((folder / data_file.path).stat().st_size)
        assert {"@id": data_file.path} in root["hasPart"]
    checksums = next(path for path in graph if path.startswith("checksums."))
    assert (folder / checksums).exists() and {"@id": checksums} in root["hasPart"]


def test_crate_names_people_licence_instrument_and_techniques_as_the_page_does(live_server, ingested, tmp_path):
    _, folder = download_zip(live_server, ingested, tmp_path)
    graph = entities(json.loads((folder / "ro-crate-metadata.json").read_text()))
    root = graph["./"]
    assert graph["https://orcid.org/0000-0002-1825-0097"]["@type"] == "Person"
    assert {"@id": "https://orcid.org/0000-0002-1825-0097"} in root["creator"]
    assert root["license"] == {"@id": "https://creativecommons.org/licenses/by/4.0/"}
    assert graph["https://creativecommons.org/licenses/by/4.0/"]["@type"] == "CreativeWork"
    assert {"@id": PANET + "PaNET01188"} in root["measurementTechnique"]
    assert graph[PANET + "PaNET01188"]["@type"] == "DefinedTerm"
    action = graph["#measurement"]
    assert action["@type"] == "CreateAction" and action["result"] == {"@id": "./"}
    [instrument] = [
        graph[ref["@id"]] for ref in action["instrument"] if "IndividualProduct" in graph[ref["@id"]]["@type"]
    ]
    assert instrument["name"] == ingested.instrument.name
    page = requests.get(f"{live_server.url}/datasets/{ingested.pid}", params={"format": "jsonld"}, timeout=30).json()
    assert root["name"] == page["name"] and root["description"] == page["description"]


def test_doi_serves_the_crate_of_its_datasets(live_server, ingested, tmp_path, monkeypatch):
    response = requests.get(f"{live_server.url}/doi/10.80000/DLS-CRATE-1/ro-crate-metadata.json", timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/ld+json")
    (tmp_path / "ro-crate-metadata.json").write_bytes(response.content)
    assert validation_issues(tmp_path, monkeypatch) == []
    graph = entities(response.json())
    dataset_url = f"http://127.0.0.1:8000/datasets/{ingested.pid}"
    assert {"@id": dataset_url} in graph["./"]["hasPart"]
    files = [graph[ref["@id"]] for ref in graph[dataset_url]["hasPart"]]
    assert files and all(file["contentSize"].isdigit() for file in files)
    page = requests.get(f"{live_server.url}/doi/10.80000/DLS-CRATE-1", timeout=30).text
    assert "/doi/10.80000/DLS-CRATE-1/ro-crate-metadata.json" in page


def test_embargoed_doi_crate_is_the_public_stub(live_server, embargoed_proposal, tmp_path, monkeypatch):
    response = requests.get(f"{live_server.url}/doi/10.80000/ESRF-MX-9999/ro-crate-metadata.json", timeout=30)
    assert response.status_code == 200
    assert LEAK_TOKEN.lower() not in response.text.lower() and "private@example.org" not in response.text
    (tmp_path / "ro-crate-metadata.json").write_bytes(response.content)
    assert validation_issues(tmp_path, monkeypatch) == []
    assert "hasPart" not in entities(response.json())["./"]
