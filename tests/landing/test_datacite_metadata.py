"""The one DataCite 4.7 mapping: valid against the official XSD for every kind of record, and faithful to the policy."""

import pytest
import xmlschema
from django.contrib.auth.models import AnonymousUser
from django.test import override_settings
from django.utils import timezone
from lxml import etree

from catalogue.models import DoiState
from landing.datacite import metadata
from landing.datacite import xml as datacite_xml
from landing.models import RelatedWork
from tests.factories import CollectionFactory, DatasetFactory, ProposalFactory
from tests.landing.conftest import LEAK_TOKEN
from tests.standards import DATACITE_XSD

pytestmark = pytest.mark.django_db

NS = {"d": datacite_xml.NAMESPACE}


@pytest.fixture(scope="module")
def official_schema():
    return xmlschema.XMLSchema(str(DATACITE_XSD))


def xml_of(document, user=None):
    record = metadata.document_metadata(document=document, user=user or AnonymousUser())
    return datacite_xml.to_xml(record)


def test_vendored_xsd_is_the_official_one():
    assert datacite_xml.XSD_PATH.read_bytes() == DATACITE_XSD.read_bytes()
    for include in (DATACITE_XSD.parent / "include").iterdir():
        assert (datacite_xml.XSD_PATH.parent / "include" / include.name).read_bytes() == include.read_bytes()


def test_full_record_of_an_open_proposal_validates_against_the_official_xsd(open_proposal, official_schema):
    official_schema.validate(xml_of(open_proposal))


def test_public_stub_of_an_embargoed_proposal_validates_against_the_official_xsd(embargoed_proposal, official_schema):
    official_schema.validate(xml_of(embargoed_proposal))


def test_collection_withdrawn_and_empty_records_validate(open_proposal, esrf, official_schema):
    collection = CollectionFactory(facility=esrf, doi="10.80000/ESRF-C1", title="Data behind our paper")
    collection.collected_datasets.set(open_proposal.datasets.all())
    official_schema.validate(xml_of(collection))
    empty = ProposalFactory(
        facility=None, pid="pc/proposal/empty", doi="10.80000/PC-EMPTY", start_date=None, end_date=None, licence=""
    )
    official_schema.validate(xml_of(empty))
    open_proposal.withdrawn_at = timezone.now()
    open_proposal.withdrawal_reason = "Sample mislabelled."
    open_proposal.save()
    withdrawn = xml_of(open_proposal)
    official_schema.validate(withdrawn)
    assert b'dateType="Withdrawn"' in withdrawn


def test_full_record_maps_the_photon_neutron_specifics(open_proposal):
    tree = etree.fromstring(xml_of(open_proposal))
    assert tree.findtext("d:identifier", namespaces=NS) == "10.80000/ESRF-MA-5678"
    publisher = tree.find("d:publisher", NS)
    assert publisher.text == "European Synchrotron Radiation Facility"
    assert publisher.get("publisherIdentifier") == "https://ror.org/02550n020"
    assert publisher.get("publisherIdentifierScheme") == "ROR"
    creators = tree.findall("d:creators/d:creator", NS)
    assert [c.findtext("d:creatorName", namespaces=NS) for c in creators] == ["Lovelace, Ada", "Ørsted, Émile"]
    assert creators[0].findtext("d:nameIdentifier", namespaces=NS) == "https://orcid.org/0000-0002-1825-0097"
    assert creators[0].find("d:affiliation", NS).get("affiliationIdentifier") == "https://ror.org/012a77v79"
    subject = tree.find("d:subjects/d:subject[@subjectScheme='PaNET']", NS)
    assert subject.text == "small angle x-ray scattering"
    assert subject.get("valueURI") == "http://purl.org/pan-science/PaNET/PaNET01188"
    dates = {d.get("dateType"): d.text for d in tree.findall("d:dates/d:date", NS)}
    assert dates["Collected"] == "2020-03-14/2020-03-17"
    assert dates["Available"] == open_proposal.release_date.date().isoformat()
    instrument = tree.find("d:relatedItems/d:relatedItem", NS)
    assert instrument.get("relatedItemType") == "Instrument" and instrument.get("relationType") == "IsCollectedBy"
    assert "ID02" in instrument.findtext("d:titles/d:title", namespaces=NS)
    rights = tree.findall("d:rightsList/d:rights", NS)
    assert rights[0].get("rightsIdentifier") == "cc-by-4.0" and rights[0].get("rightsIdentifierScheme") == "SPDX"
    assert {r.get("rightsURI") for r in rights} >= {
        "info:eu-repo/semantics/openAccess",
        "http://purl.org/coar/access_right/c_abf2",
    }
    assert tree.find("d:contributors/d:contributor", NS).get("contributorType") == "HostingInstitution"
    assert (
        tree.findtext(
            "d:alternateIdentifiers/d:alternateIdentifier[@alternateIdentifierType='Proposal']", namespaces=NS
        )
        == "MA-5678"
    )
    assert tree.findtext("d:fundingReferences/d:fundingReference/d:awardNumber", namespaces=NS) == "101000001"
    point = tree.find("d:geoLocations/d:geoLocation/d:geoLocationPoint", NS)
    assert float(point.findtext("d:pointLatitude", namespaces=NS)) == pytest.approx(45.2086)
    assert "Ca3SiO5" in tree.findtext("d:descriptions/d:description[@descriptionType='Methods']", namespaces=NS)
    assert tree.find("d:relatedIdentifiers/d:relatedIdentifier[@relationType='HasPart']", NS) is not None


def test_public_stub_holds_only_what_the_access_policy_lists(embargoed_proposal):
    xml = xml_of(embargoed_proposal)
    assert LEAK_TOKEN.lower() not in xml.decode().lower()
    tree = etree.fromstring(xml)
    assert tree.findtext("d:titles/d:title", namespaces=NS) == "Structure of a membrane transporter"
    assert tree.findtext("d:creators/d:creator/d:creatorName", namespaces=NS) == "Hopper, Grace"
    assert "ID23" in tree.findtext("d:relatedItems/d:relatedItem/d:titles/d:title", namespaces=NS)
    dates = {d.get("dateType"): d.text for d in tree.findall("d:dates/d:date", NS)}
    assert dates["Available"] == embargoed_proposal.release_date.date().isoformat()
    assert "Collected" in dates
    assert tree.find("d:rightsList/d:rights[@rightsURI='info:eu-repo/semantics/embargoedAccess']", NS) is not None
    assert tree.find("d:subjects", NS) is None and tree.find("d:sizes", NS) is None
    assert tree.find("d:relatedIdentifiers", NS) is None


def test_members_get_the_full_record_of_their_embargoed_proposal(embargoed_proposal):
    from tests.factories import PersonFactory, UserFactory

    user = UserFactory(username="grace")
    PersonFactory(user=user)
    member = embargoed_proposal.members.first()
    member.person.user = user
    member.person.save()
    assert LEAK_TOKEN in xml_of(embargoed_proposal, user=user).decode()


@override_settings(EMBARGOED_METADATA="visible")
def test_visible_policy_publishes_embargoed_metadata_but_marks_the_access_embargoed(embargoed_proposal):
    xml = xml_of(embargoed_proposal).decode()
    assert LEAK_TOKEN in xml
    assert "info:eu-repo/semantics/embargoedAccess" in xml


def test_no_email_address_ever_enters_a_record(open_proposal, embargoed_proposal):
    for document in (open_proposal, embargoed_proposal):
        assert b"private@example.org" not in xml_of(document)


def test_collections_link_their_proposals_and_papers(open_proposal, esrf):
    collection = CollectionFactory(facility=esrf, doi="10.80000/ESRF-C2", doi_state=DoiState.FINDABLE)
    collection.collected_datasets.set(open_proposal.datasets.all())
    RelatedWork.objects.create(
        document=collection, identifier="10.1107/S1600577522001234", relation_type=RelatedWork.Relation.IS_SUPPLEMENT_TO
    )
    related = metadata.document_metadata(document=collection)["relatedIdentifiers"]
    pairs = {(r["relatedIdentifier"], r["relationType"]) for r in related}
    assert ("10.80000/ESRF-MA-5678", "IsPartOf") in pairs
    assert ("10.1107/S1600577522001234", "IsSupplementTo") in pairs
    proposal_related = metadata.document_metadata(document=open_proposal)["relatedIdentifiers"]
    assert ("10.80000/ESRF-C2", "HasPart") in {(r["relatedIdentifier"], r["relationType"]) for r in proposal_related}


def test_derived_data_point_to_their_sources_and_back(open_proposal, esrf):
    processed = ProposalFactory(facility=esrf, doi="10.80000/ESRF-PROC-1", proposal_number="PROC-1")
    derived = DatasetFactory(proposal=processed, instrument__facility=esrf, kind="derived")
    derived.input_datasets.set(open_proposal.datasets.all())
    related = metadata.document_metadata(document=processed)["relatedIdentifiers"]
    assert ("10.80000/ESRF-MA-5678", "IsDerivedFrom") in {(r["relatedIdentifier"], r["relationType"]) for r in related}
    source = metadata.document_metadata(document=open_proposal)["relatedIdentifiers"]
    assert ("10.80000/ESRF-PROC-1", "IsSourceOf") in {(r["relatedIdentifier"], r["relationType"]) for r in source}


def test_xsd_errors_are_reported_readably():
    errors = datacite_xml.validation_errors(b'<resource xmlns="http://datacite.org/schema/kernel-4"/>')
    assert errors and "identifier" in " ".join(errors)
