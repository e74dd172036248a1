"""OAI-PMH at /oai (landing.oai): every verb, format and error against the official schemas, keyset harvesting with
signed tokens, sets, datestamps that follow embargo releases and DOI updates, deleted records; and, against a live
server, the openarchives.org validator and a real harvester (oaipmh-scythe)."""

import subprocess
import tarfile
import time
from datetime import timedelta
from pathlib import Path

import pytest
import xmlschema
from django.db import connection
from django.db.models import Model
from django.test import Client
from django.utils import timezone
from lxml import etree

from catalogue.models import Dataset, Document, DoiState, Technique
from catalogue.services import opening
from landing.datacite.xml import XSD_PATH
from landing.oai import records
from tests.factories import DatasetFactory, InstrumentFactory, ProposalFactory, TechniqueFactory

STANDARDS = Path(__file__).resolve().parents[3] / "shared" / "standards"
OAI = "{http://www.openarchives.org/OAI/2.0/}"
SECRET = "qzembargoedoaititle"


@pytest.fixture(scope="module")
def oai_schema() -> xmlschema.XMLSchema:
    local = STANDARDS / "oai-pmh" / "local"
    return xmlschema.XMLSchema(
        str(local / "OAI-PMH.xsd"),
        allow="local",
        locations=[
            ("http://www.openarchives.org/OAI/2.0/oai_dc/", str(local / "oai_dc.xsd")),
            ("http://www.openarchives.org/OAI/2.0/oai-identifier", str(local / "oai-identifier.xsd")),
            ("http://schema.datacite.org/oai/oai-1.1/", str(STANDARDS / "oai-pmh" / "datacite-oai-1.1" / "oai.xsd")),
            ("http://datacite.org/schema/kernel-4", str(XSD_PATH)),
        ],
    )


@pytest.fixture
def catalogue(db, settings):
    """A facility with two DOIs (one open, one embargoed), open datasets, an embargoed and a withdrawn one."""
    settings.SITE_URL = "http://oai.example.org"
    scattering = TechniqueFactory(panet_id="PaNET01127", name="scattering", pid="x/PaNET01127")
    saxs = TechniqueFactory(panet_id="PaNET01188", ancestors=["PaNET01127"], parents=["PaNET01127"])
    instrument = InstrumentFactory()
    open_proposal = ProposalFactory(facility=instrument.facility, doi="10.80000/open", doi_state=DoiState.FINDABLE)
    closed_proposal = ProposalFactory(facility=instrument.facility, doi="10.80000/closed", doi_state=DoiState.FINDABLE)
    draft = ProposalFactory(facility=instrument.facility, doi="10.80000/draft", doi_state=DoiState.LOCAL_DRAFT)
    tagged = DatasetFactory(instrument=instrument, proposal=open_proposal, techniques=[saxs])
    plain = DatasetFactory(instrument=instrument, proposal=open_proposal)
    embargoed = DatasetFactory(instrument=instrument, proposal=closed_proposal, embargoed=True, title=SECRET)
    undoied = DatasetFactory(instrument=instrument, proposal=draft)
    withdrawn = DatasetFactory(instrument=instrument, proposal=open_proposal)
    Dataset.objects.filter(pk=withdrawn.pk).update(withdrawn_at=timezone.now(), opened_at=timezone.now())
    return {
        "open": open_proposal,
        "closed": closed_proposal,
        "tagged": tagged,
        "plain": plain,
        "embargoed": embargoed,
        "withdrawn": withdrawn,
        "undoied": undoied,
        "scattering": scattering,
    }


def ask(client: Client, method: str = "get", **arguments: str) -> etree._Element:
    response = getattr(client, method)("/oai", arguments)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    return etree.fromstring(response.content)


def error_code(root: etree._Element) -> str | None:
    error = root.find(f"{OAI}error")
    return None if error is None else error.get("code")


def identifiers(root: etree._Element) -> list[str]:
    return [element.text for element in root.iter(f"{OAI}identifier") if element.getparent().tag == f"{OAI}header"]


def harvest(client: Client, verb: str = "ListIdentifiers", **arguments: str) -> tuple[list[str], list[etree._Element]]:
    """Every identifier of a list request, following resumption tokens; with each page's token element."""
    found: list[str] = []
    tokens: list[etree._Element] = []
    root = ask(client, verb=verb, **arguments)
    while True:
        assert error_code(root) is None, etree.tostring(root)
        found += identifiers(root)
        token = root.find(f".//{OAI}resumptionToken")
        if token is None:
            return found, tokens
        tokens.append(token)
        if not token.text:
            return found, tokens
        root = ask(client, verb=verb, resumptionToken=token.text)


def oai_id(kind: str, key: str) -> str:
    return f"oai:oai.example.org:{kind}/{key}"


def test_every_verb_format_and_error_validates_against_the_official_schemas(catalogue, oai_schema, client):
    tagged = oai_id("dataset", catalogue["tagged"].pid)
    withdrawn, embargoed = oai_id("dataset", catalogue["withdrawn"].pid), oai_id("dataset", catalogue["embargoed"].pid)
    closed, draft = oai_id("doi", "10.80000/closed"), oai_id("doi", "10.80000/draft")
    mixed = {"from": "2020-01-01", "until": "2030-01-01T00:00:00Z"}
    requests = [
        ({"verb": "Identify"}, None),
        ({"verb": "ListMetadataFormats"}, None),
        ({"verb": "ListMetadataFormats", "identifier": tagged}, None),
        ({"verb": "ListSets"}, None),
        ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}, None),
        ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "technique:PaNET01127"}, None),
        ({"verb": "GetRecord", "identifier": closed, "metadataPrefix": "oai_dc"}, None),
        ({"verb": "GetRecord", "identifier": withdrawn, "metadataPrefix": "oai_dc"}, None),
        ({"verb": "Bogus"}, "badVerb"),
        ({}, "badVerb"),
        ({"verb": "Identify", "extra": "1"}, "badArgument"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", **mixed}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "yesterday"}, "badArgument"),
        ({"verb": "ListRecords", "resumptionToken": "forged"}, "badResumptionToken"),
        ({"verb": "ListSets", "resumptionToken": "forged"}, "badResumptionToken"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
        ({"verb": "GetRecord", "identifier": tagged, "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
        ({"verb": "GetRecord", "identifier": embargoed, "metadataPrefix": "oai_dc"}, "idDoesNotExist"),
        ({"verb": "GetRecord", "identifier": draft, "metadataPrefix": "oai_dc"}, "idDoesNotExist"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "until": "2000-01-01"}, "noRecordsMatch"),
        ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "until": "9999-12-31"}, None),
        ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "until": "9999-12-31T23:59:59Z"}, None),
        ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": "9999-12-31"}, "noRecordsMatch"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "status:nonsense"}, "noRecordsMatch"),
        # Arguments an error message quotes, written with characters beyond ASCII (a typographic apostrophe).
        ({"verb": "GetRecord", "identifier": "oai:x’", "metadataPrefix": "oai_dc"}, "idDoesNotExist"),
        ({"verb": "GetRecord", "identifier": tagged, "metadataPrefix": "oai_dc’"}, "cannotDisseminateFormat"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc’"}, "cannotDisseminateFormat"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "status:öffen"}, "noRecordsMatch"),
        ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": "2020-01-01\u2009"}, "badArgument"),
        ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "until": "2020-01-01\x0b"}, "badArgument"),
        ({"verb": "ListMetadataFormats", "identifier": "oai:x’"}, "idDoesNotExist"),
        # Characters XML cannot carry, so no response can echo them.
        ({"verb": "GetRecord", "identifier": "oai:x\x0b", "metadataPrefix": "oai_dc"}, "badArgument"),
        ({"verb": "GetRecord", "identifier": tagged, "metadataPrefix": "oai_dc\ufffe"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "status:\x1f"}, "badArgument"),
    ]
    for prefix in ("oai_dc", "oai_datacite", "datacite"):
        requests.append(({"verb": "ListRecords", "metadataPrefix": prefix}, None))
        requests.append(({"verb": "GetRecord", "identifier": tagged, "metadataPrefix": prefix}, None))
    for arguments, expected in requests:
        for method in ("get", "post"):
            response = getattr(client, method)("/oai", arguments)
            errors = [str(error.reason) for error in oai_schema.iter_errors(response.content)]
            assert errors == [], (arguments, errors[:3])
            assert error_code(etree.fromstring(response.content)) == expected, arguments
    repeated = client.get("/oai?verb=Identify&verb=Identify")
    assert error_code(etree.fromstring(repeated.content)) == "badArgument"
    unknown = ask(client, verb="GetRecord", identifier="oai:x’", metadataPrefix="oai_dc")
    assert unknown.find(f"{OAI}error").text == "There is no record 'oai:x\\u2019'."


def test_records_are_public_dois_and_open_datasets_with_openaire_access_and_embargo_dates(catalogue, client):
    found, _ = harvest(client, metadataPrefix="oai_dc")
    assert sorted(found) == sorted(
        [
            oai_id("doi", "10.80000/open"),
            oai_id("doi", "10.80000/closed"),
            oai_id("dataset", catalogue["tagged"].pid),
            oai_id("dataset", catalogue["plain"].pid),
            oai_id("dataset", catalogue["withdrawn"].pid),
            oai_id("dataset", catalogue["undoied"].pid),  # an open dataset is a record, whatever its proposal's DOI
        ]
    )
    stub = ask(client, verb="GetRecord", identifier=oai_id("doi", "10.80000/closed"), metadataPrefix="datacite")
    text = etree.tostring(stub).decode()
    assert SECRET not in text
    assert "info:eu-repo/semantics/embargoedAccess" in text
    release = catalogue["closed"].release_date.date().isoformat()
    kernel = "{http://datacite.org/schema/kernel-4}"
    dates = {d.get("dateType"): d.text for d in stub.iter(f"{kernel}date")}
    assert dates["Available"] == release and dates["Accepted"] < release
    closed = oai_id("doi", "10.80000/closed")
    dc = etree.tostring(ask(client, verb="GetRecord", identifier=closed, metadataPrefix="oai_dc"))
    assert f"info:eu-repo/date/embargoEnd/{release}".encode() in dc
    opened = ask(client, verb="GetRecord", identifier=oai_id("doi", "10.80000/open"), metadataPrefix="oai_dc")
    assert b"info:eu-repo/semantics/openAccess" in etree.tostring(opened)


def test_sets_follow_facility_instrument_technique_descendants_and_status(catalogue, client):
    tagged, plain = oai_id("dataset", catalogue["tagged"].pid), oai_id("dataset", catalogue["plain"].pid)
    # A set for a broader PaNET term holds the data tagged with a narrower one, as search does.
    assert set(harvest(client, metadataPrefix="oai_dc", set="technique:PaNET01127")[0]) == {
        tagged,
        oai_id("doi", "10.80000/open"),
    }
    assert harvest(client, metadataPrefix="oai_dc", set="status:closed")[0] == [oai_id("doi", "10.80000/closed")]
    facility = f"facility:{catalogue['tagged'].instrument.facility.short_name}"
    in_facility = set(harvest(client, metadataPrefix="oai_dc", set=facility)[0])
    assert {tagged, plain, oai_id("doi", "10.80000/closed")} <= in_facility
    header = ask(client, verb="GetRecord", identifier=tagged, metadataPrefix="oai_dc").find(f".//{OAI}header")
    specs = {element.text for element in header.iter(f"{OAI}setSpec")}
    assert {"openaire_data", "status:open", facility, "technique:PaNET01188", "technique:PaNET01127"} <= specs
    listed = {element.text for element in ask(client, verb="ListSets").iter(f"{OAI}setSpec")}
    assert specs <= listed


def test_a_doi_is_in_a_set_by_its_own_columns_or_by_a_dataset_and_listed_once(catalogue, client):
    # A set's DOIs are read in disjoint parts (landing.oai.records._own_or_by_datasets): by the DOI's own columns,
    # or else by one of its datasets. This DOI has no facility, instrument or open embargo of its own (its stub's
    # release was set later than its dataset's), so only its open dataset puts it in these sets; the open proposal
    # is in them both ways and must be listed once.
    instrument = catalogue["tagged"].instrument
    by_dataset = ProposalFactory(
        facility=None, pid="x/proposal/by-dataset", doi="10.80000/by-dataset", doi_state=DoiState.FINDABLE
    )
    DatasetFactory(instrument=instrument, proposal=by_dataset, techniques=[catalogue["tagged"].techniques.get()])
    Document.objects.filter(pk=by_dataset.pk).update(release_date=timezone.now() + timedelta(days=365))
    doi, open_doi = oai_id("doi", "10.80000/by-dataset"), oai_id("doi", "10.80000/open")
    specs = [
        "facility",
        f"facility:{records.spec_word(instrument.facility.short_name)}",
        "instrument",
        f"instrument:{records.spec_word(instrument.pid)}",
        "technique",
        "technique:PaNET01127",
        "status:open",
    ]
    for spec in specs:
        found = harvest(client, metadataPrefix="oai_dc", set=spec)[0]
        assert (found.count(doi), found.count(open_doi)) == (1, 1), spec
    assert doi not in harvest(client, metadataPrefix="oai_dc", set="status:closed")[0]
    header = ask(client, verb="GetRecord", identifier=doi, metadataPrefix="oai_dc").find(f".//{OAI}header")
    assert set(specs) <= {element.text for element in header.iter(f"{OAI}setSpec")}


@pytest.mark.django_db(transaction=True)  # each request and each change commit on their own, as in production
def test_a_doi_that_a_change_of_its_dataset_puts_in_a_set_is_listed_there_at_once(catalogue, client):
    # The DOIs in a set by a dataset alone are kept per catalogue state (landing.oai.records), outside transactions
    # only: asked once, then again after the change, each set must list the DOI where it now belongs.
    closed, open_doi = oai_id("doi", "10.80000/closed"), oai_id("doi", "10.80000/open")
    elsewhere = InstrumentFactory()
    facility_set = f"facility:{records.spec_word(elsewhere.facility.short_name)}"
    assert (
        error_code(ask(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set=facility_set)) == "noRecordsMatch"
    )
    assert closed in harvest(client, metadataPrefix="oai_dc", set="status:closed")[0]
    assert closed not in harvest(client, metadataPrefix="oai_dc", set="status:open")[0]

    Dataset.objects.filter(pk=catalogue["plain"].pk).update(instrument=elsewhere)
    opening.open_now(catalogue["embargoed"], by=None)
    assert open_doi in harvest(client, metadataPrefix="oai_dc", set=facility_set)[0]
    assert closed in harvest(client, metadataPrefix="oai_dc", set="status:open")[0]
    no_longer_closed = ask(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="status:closed")
    assert error_code(no_longer_closed) == "noRecordsMatch"
    header = ask(client, verb="GetRecord", identifier=closed, metadataPrefix="oai_dc").find(f".//{OAI}header")
    assert "status:open" in {element.text for element in header.iter(f"{OAI}setSpec")}


def test_full_harvest_sees_every_record_once_while_records_change(catalogue, client, settings):
    settings.OAI_PAGE_SIZE = 2
    first = ask(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    started = first.find(f"{OAI}responseDate").text
    token = first.find(f".//{OAI}resumptionToken")
    assert token.get("cursor") == "0" and token.get("completeListSize") == "6" and token.get("expirationDate")
    seen = identifiers(first)
    # A record not yet served changes in the middle of the harvest: its datestamp moves past the frozen bound.
    candidates = (catalogue["tagged"], catalogue["plain"], catalogue["undoied"])
    unseen = next(d for d in candidates if oai_id("dataset", d.pid) not in seen)
    Dataset.objects.filter(pk=unseen.pk).update(title="Renamed during the harvest")
    rest, tokens = harvest(client, resumptionToken=token.text)
    found = seen + rest
    assert len(found) == len(set(found))
    assert [t.get("cursor") for t in tokens] == ["2", "4"]
    assert not tokens[-1].text and tokens[-1].get("completeListSize") == "6"
    # The changed record comes with the next incremental harvest, from the first response's date.
    assert oai_id("dataset", unseen.pid) in harvest(client, metadataPrefix="oai_dc", **{"from": started})[0]
    assert set(found) | {oai_id("dataset", unseen.pid)} == set(harvest(client, metadataPrefix="oai_dc")[0])
    forged = token.text[:-3] + ("aaa" if not token.text.endswith("aaa") else "bbb")
    assert error_code(ask(client, verb="ListIdentifiers", resumptionToken=forged)) == "badResumptionToken"


def test_complete_list_size_is_what_the_harvest_lists_for_every_set_and_range(catalogue, client, settings):
    # The count of a harvest from the start comes from the kept open-dataset counts (landing.oai.records.count): it
    # must agree with the list whatever the set, with withdrawn records, an embargo that ended without a write (not
    # yet opened by the beat task) and datasets changed after an `until`.
    settings.OAI_PAGE_SIZE = 1
    released = DatasetFactory(instrument=catalogue["tagged"].instrument, proposal=catalogue["closed"], embargoed=True)
    Dataset.objects.filter(pk=released.pk).update(release_date=timezone.now() + timedelta(seconds=1))
    time.sleep(1.5)  # its embargo ends after its last write
    _set_changed_at_without_triggers(Dataset, catalogue["plain"].pk, timezone.now() - timedelta(days=3))
    until = {"until": (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%d")}
    since = {"from": (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%d")}
    specs = [element.text for element in ask(client, verb="ListSets").iter(f"{OAI}setSpec")]
    assert {"facility", "instrument", "technique", "status:open", "status:closed"} <= set(specs)
    for spec in [None, *specs]:
        for window in ({}, until, since):
            arguments = {"metadataPrefix": "oai_dc", **window, **({"set": spec} if spec else {})}
            root = ask(client, verb="ListIdentifiers", **arguments)
            if error_code(root) == "noRecordsMatch":
                continue
            listed, tokens = harvest(client, **arguments)
            if not tokens:  # a list of one record fits its first page of one, which carries no token
                assert len(listed) == 1, (spec, window)
                continue
            assert int(tokens[0].get("completeListSize")) == len(listed), (spec, window)


@pytest.mark.django_db(transaction=True)  # each request and each change commit on their own, as in production
def test_complete_list_size_follows_a_change_of_a_set_at_once(catalogue, client, settings):
    # Outside transactions a set's DOIs are counted once per catalogue state (landing.oai.records.count): asked
    # before and after a change that puts a DOI in technique sets, each set's count must be what its harvest lists.
    settings.OAI_PAGE_SIZE = 1
    specs = [element.text for element in ask(client, verb="ListSets").iter(f"{OAI}setSpec")]

    def sizes() -> dict[str, tuple[int, int]]:
        """Each set's completeListSize and the number of records its harvest lists."""
        found = {}
        for spec in specs:
            if error_code(ask(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set=spec)) == "noRecordsMatch":
                continue
            listed, tokens = harvest(client, metadataPrefix="oai_dc", set=spec)
            found[spec] = (int(tokens[0].get("completeListSize")) if tokens else 1, len(listed))
        return found

    before = sizes()
    embargoed = catalogue["embargoed"]
    embargoed.techniques.add(Technique.objects.get(panet_id="PaNET01188"))
    opening.open_now(embargoed, by=None)
    after = sizes()
    assert all(size == listed for size, listed in [*before.values(), *after.values()]), (before, after)
    # The opened dataset and its DOI, which now shows the technique of an open dataset.
    assert after["technique:PaNET01188"][0] == before["technique:PaNET01188"][0] + 2


def _set_changed_at_without_triggers(model: type[Model], pk: int, moment) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(f"UPDATE {model._meta.db_table} SET record_changed_at = %s WHERE id = %s", [moment, pk])
        cursor.execute("SET session_replication_role = DEFAULT")


def test_datestamps_follow_embargo_release_doi_updates_and_withdrawal(catalogue, client):
    long_ago = timezone.now() - timedelta(days=400)
    embargoed, closed = catalogue["embargoed"], catalogue["closed"]
    # The release date passed long after the last edit: the opening run makes the dataset and its DOI record new.
    Dataset.objects.filter(pk=embargoed.pk).update(release_date=timezone.now() - timedelta(minutes=1))
    _set_changed_at_without_triggers(Dataset, embargoed.pk, long_ago)
    _set_changed_at_without_triggers(Document, closed.pk, long_ago)
    before = timezone.now()
    opening.open_due()
    assert Dataset.objects.get(pk=embargoed.pk).record_changed_at >= before
    assert Document.objects.get(pk=closed.pk).record_changed_at >= before
    since = (before - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    fresh = harvest(client, metadataPrefix="oai_dc", **{"from": since})[0]
    assert {oai_id("dataset", embargoed.pid), oai_id("doi", "10.80000/closed")} <= set(fresh)
    # A DOI update (registered -> findable) changes the record; a counter does not.
    _set_changed_at_without_triggers(Document, closed.pk, long_ago)
    Document.objects.filter(pk=closed.pk).update(embargo_reminder_sent_at=timezone.now())
    assert Document.objects.get(pk=closed.pk).record_changed_at == long_ago
    Document.objects.filter(pk=closed.pk).update(doi_state=DoiState.REGISTERED)
    assert Document.objects.get(pk=closed.pk).record_changed_at >= before
    # Withdrawal keeps a deleted header, with no metadata.
    Document.objects.filter(pk=closed.pk).update(withdrawn_at=timezone.now())
    record = ask(client, verb="GetRecord", identifier=oai_id("doi", "10.80000/closed"), metadataPrefix="datacite")
    assert record.find(f".//{OAI}header").get("status") == "deleted"
    assert record.find(f".//{OAI}metadata") is None


@pytest.fixture(scope="module")
def validator_dir(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("oaipmh-validator")
    with tarfile.open(STANDARDS / "oaipmh-validator" / "oaipmh-validator.tar.gz") as archive:
        archive.extractall(target, filter="data")
    return target / "oaipmh-validator"


def test_live_endpoint_is_compliant_and_a_real_harvester_pages_through_a_set(
    transactional_db, live_server, settings, validator_dir
):
    from oaipmh_scythe import Scythe

    settings.SITE_URL = live_server.url
    settings.OAI_REPOSITORY_IDENTIFIER = "oai.example.org"
    settings.OAI_PAGE_SIZE = 3
    instrument = InstrumentFactory()
    proposal = ProposalFactory(facility=instrument.facility, doi="10.80000/live", doi_state=DoiState.FINDABLE)
    datasets = [DatasetFactory(instrument=instrument, proposal=proposal) for _ in range(7)]
    base_url = f"{live_server.url}/oai"
    run = subprocess.run(
        ["perl", "-Ilib", "oaipmh-validator.pl", base_url],
        cwd=validator_dir,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert f"Validation status of data provider {base_url} is COMPLIANT" in run.stdout, run.stdout[-3000:]
    with Scythe(base_url) as scythe:
        spec = f"facility:{instrument.facility.short_name}"
        pages = scythe.list_records(metadata_prefix="oai_datacite", set_=spec)
        harvested = [record.header.identifier for record in pages]
    expected = {oai_id("dataset", d.pid) for d in datasets} | {oai_id("doi", "10.80000/live")}
    assert sorted(harvested) == sorted(expected)
