"""Instrument identity over real sample files: registry matching by name or alias, unmatched names flagged to
stewards (not created), and the steward's one-click resolution applied to every dataset carrying the name."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from rdflib import Literal, URIRef
from rdflib.namespace import DCAT, SKOS

from catalogue.models import Dataset, Facility, Instrument
from catalogue.services import instruments
from landing.graph import describe
from landing.graph.vocabulary import SCHEMA

pytestmark = pytest.mark.django_db

DMC = "exampledata/PSI_SINQ_DMC_dmc01.h5"
SANS = "exampledata/PSI_SINQ_SANS_sans2009n012333.hdf"
FOCUS = "exampledata/PSI_SINQ_FOCUS_focus2007n001335.hdf"

REGISTRY = """
- facility: SINQ
  name: DMC powder diffractometer
  aliases: [d m c]
  landing_page: https://www.psi.ch/en/sinq/dmc
  owner: Paul Scherrer Institut
  manufacturer: PSI workshop
  model: DMC-2
  measured_variables: [neutron diffraction pattern]
- facility: SINQ
  name: FOCUS
"""


@pytest.fixture
def sinq_registry(registry, tmp_path: Path) -> list[Instrument]:
    path = tmp_path / "instruments.yaml"
    path.write_text(REGISTRY)
    return instruments.load_registry(path=path)


def dataset_of(sample: str) -> Dataset:
    return Dataset.objects.select_related("instrument", "proposal").get(source_path__endswith=Path(sample).name)


def test_file_name_matches_an_alias_ignoring_case_and_spaces(sinq_registry, ingest):
    ingest(DMC)
    dataset = dataset_of(DMC)
    assert dataset.instrument == sinq_registry[0]
    assert dataset.instrument_name == "DMC"
    assert dataset.proposal.instrument == sinq_registry[0]


def test_unmatched_name_is_flagged_not_created(sinq_registry, ingest, steward_client):
    ingest(SANS)
    dataset = dataset_of(SANS)
    assert dataset.instrument is None
    assert dataset.instrument_name == "SANS"
    assert not Instrument.objects.filter(name__iexact="SANS").exists()
    assert [(name.name, name.datasets) for name in instruments.unmatched_names()] == [("SANS", 1)]

    page = steward_client.get(reverse("admin:catalogue_dataset_changelist"), {"unmatched_instrument": "*"})
    assert page.status_code == 200
    assert "SANS (SINQ): 1" in page.text
    assert dataset.pid in page.text


def test_steward_adds_unmatched_name_as_alias_and_every_dataset_follows(sinq_registry, ingest, steward_client):
    ingest(SANS)
    focus = sinq_registry[1]
    url = reverse("admin:catalogue_dataset_changelist")
    selected = {"action": "add_instrument_alias", "_selected_action": [dataset_of(SANS).pk]}
    form = steward_client.post(url, selected)
    assert form.status_code == 200 and "instrument" in form.text

    done = steward_client.post(url, {**selected, "instrument": focus.pk, "apply": "Apply"}, follow=True)
    assert done.status_code == 200
    dataset = dataset_of(SANS)
    assert dataset.instrument == focus
    assert dataset.proposal.instrument == focus
    focus.refresh_from_db()
    assert focus.aliases == ["SANS"]
    assert instruments.unmatched_names() == []

    ingest(SANS)  # re-ingesting keeps the resolution: the name is an alias now
    assert dataset_of(SANS).instrument == focus


def test_steward_registers_unmatched_name_as_new_instrument(sinq_registry, ingest, steward_client):
    ingest(SANS)
    steward_client.post(
        reverse("admin:catalogue_dataset_changelist"),
        {"action": "register_instrument", "_selected_action": [dataset_of(SANS).pk]},
    )
    created = Instrument.objects.get(facility__short_name="SINQ", name="SANS")
    assert dataset_of(SANS).instrument == created


def test_facility_without_registry_still_names_instruments_from_files(registry, ingest):
    ingest(FOCUS)
    assert dataset_of(FOCUS).instrument.name == "FOCUS"


def test_registry_loaded_later_resolves_waiting_names(registry, ingest, tmp_path):
    Facility.objects.filter(short_name="SINQ").update(matches_instruments=True)  # the admin's checkbox
    ingest(SANS)
    assert dataset_of(SANS).instrument is None
    path = tmp_path / "more.yaml"
    path.write_text("- facility: SINQ\n  name: SANS-I\n  aliases: [sans]\n")
    (sans_i,) = instruments.load_registry(path=path)
    assert dataset_of(SANS).instrument == sans_i


def test_graph_and_portal_page_carry_pidinst_fields(sinq_registry, ingest, client):
    dmc = sinq_registry[0]
    graph = describe.describe_instrument(dmc).graph
    subject = describe.instrument_iri(dmc.pid)
    assert (subject, DCAT.landingPage, URIRef("https://www.psi.ch/en/sinq/dmc")) in graph
    assert (subject, SKOS.altLabel, Literal("d m c")) in graph
    assert (subject, SCHEMA.model, Literal("DMC-2")) in graph
    assert (subject, SCHEMA.variableMeasured, Literal("neutron diffraction pattern")) in graph
    assert graph.value(subject, SCHEMA.manufacturer) is not None

    page = client.get(reverse("portal:instrument", kwargs={"pid": dmc.pid}))
    assert page.status_code == 200
    assert "https://www.psi.ch/en/sinq/dmc" in page.text and "PSI workshop, DMC-2" in page.text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- facility: SINQ\n  name: DMC\n  landing_page: 'javascript:alert(1)'\n", "not an http"),
        ("- facility: NOWHERE\n  name: DMC\n", "unknown facility 'NOWHERE'"),
        ("- facility: SINQ\n  name: DMC\n  colour: blue\n", "unknown keys"),
    ],
)
def test_bad_registry_is_refused_whole(registry, tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(instruments.RegistryError, match=message):
        instruments.load_registry(path=path)
    assert not Facility.objects.filter(matches_instruments=True).exists()


def test_demo_registry_loads_through_the_command(registry, capsys):
    call_command("load_instruments")
    assert "DIAD (DLS)" in capsys.readouterr().out
    assert instruments.match(facility=Facility.objects.get(short_name="DLS"), name="k11 diad").name == "DIAD"
    assert Facility.objects.get(short_name="SINQ").matches_instruments
