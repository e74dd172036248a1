"""Each FAIR check on datasets built to pass it and to fail it (catalogue.fair.checks through the service)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalogue.fair.checks import CHECKS
from catalogue.fair.scoring import CHECKS_BY_KEY, band_of
from catalogue.models import DataFile, Dataset, Document, DoiState, Member, Parameter, Person, RelatedWork, Technique
from catalogue.services import fair
from tests.factories import DatasetFactory, InstrumentFactory


def earned(dataset: Dataset, key: str) -> float | None:
    return fair.score_dataset(dataset=Dataset.objects.get(pk=dataset.pk)).results[key].earned


def test_the_complete_dataset_passes_every_check(complete_dataset):
    assessment = fair.score_dataset(dataset=complete_dataset)
    failing = {key: r for key, r in assessment.results.items() if r.earned is not None and r.earned < 1}
    assert failing == {}
    assert assessment.results["inputs"].earned is None  # raw data: not applicable, out of the total
    assert assessment.score == 1.0 and assessment.band == "excellent"


def test_weights_add_up_to_one_hundred_and_keys_are_unique():
    assert sum(check.weight for check in CHECKS) == 100
    assert len(CHECKS_BY_KEY) == len(CHECKS)
    assert all(check.fuji_metric is None or check.fuji_metric.startswith("FsF-") for check in CHECKS)


def _update_proposal(dataset: Dataset, **fields: object) -> None:
    Document.objects.filter(pk=dataset.proposal_id).update(**fields)


def _set(dataset: Dataset, **fields: object) -> None:
    Dataset.objects.filter(pk=dataset.pk).update(**fields)


# check key -> (how to break it, the share it earns then)
FAILURES = {
    "pid": (lambda d: _update_proposal(d, doi=None, doi_state=DoiState.NONE), 0.0),
    "title": (lambda d: _set(d, title="cement_0001"), 0.0),
    "description": (lambda d: _set(d, description=""), 0.0),
    "keywords": (lambda d: _set(d, keywords=[]), 0.0),
    "technique": (lambda d: d.techniques.clear(), 0.0),
    "sample": (lambda d: d.samples.clear(), 0.0),
    "instrument": (lambda d: _set(d, instrument=None), 0.0),
    "parameters": (lambda d: Parameter.objects.filter(dataset=d).update(value_si=None, unit_si=""), 0.0),
    "searchable": (lambda d: _set(d, release_date=timezone.now() + timedelta(days=30)), 0.0),
    "access": (lambda d: _set(d, withdrawn_at=timezone.now()), 0.0),
    "retrievable": (lambda d: DataFile.objects.filter(dataset=d).update(is_missing=True), 0.0),
    "machine_readable": (lambda d: _update_proposal(d, doi=None, doi_state=DoiState.NONE), 0.5),
    "panet": (lambda d: Technique.objects.filter(datasets=d).update(panet_id=None), 0.0),
    "orcid": (
        lambda d: Person.objects.filter(pk=Member.objects.filter(document=d.proposal)[0].person_id).update(orcid=""),
        0.5,
    ),
    "ror": (lambda d: Member.objects.filter(document=d.proposal).update(affiliation=None), 0.0),
    "publication": (lambda d: RelatedWork.objects.filter(document=d.proposal).delete(), 0.0),
    "inputs": (lambda d: _set(d, kind="derived"), 0.0),
    "instrument_pid": (lambda d: _set(d, instrument=InstrumentFactory(pid="fairsrc/instrument/es2")), 0.0),
    "licence": (lambda d: _update_proposal(d, licence="Proprietary-1.0"), 0.0),
    "provenance": (lambda d: _set(d, software_version=""), 0.5),
    "community_standard": (lambda d: _set(d, definitions=[]), 0.0),
    "file_format": (lambda d: _set(d, file_format="TIFF"), 0.0),
}


def test_every_check_has_a_failing_case():
    assert set(FAILURES) == set(CHECKS_BY_KEY)


@pytest.mark.parametrize("key", sorted(FAILURES))
def test_check_fails_when_what_it_reads_is_missing(complete_dataset, key):
    assert earned(complete_dataset, key) in (1.0, None)  # None: raw data have no inputs to link
    breaker, share = FAILURES[key]
    breaker(complete_dataset)
    result = fair.score_dataset(dataset=Dataset.objects.get(pk=complete_dataset.pk)).results[key]
    assert result.earned == pytest.approx(share)
    assert result.missing  # says what is missing, in words
    assert fair.score_dataset(dataset=Dataset.objects.get(pk=complete_dataset.pk)).score < 1


def test_partial_results_say_how_many_are_missing(complete_dataset):
    Person.objects.filter(memberships__document=complete_dataset.proposal).update(orcid="")
    result = fair.score_dataset(dataset=complete_dataset).results["orcid"]
    assert result.earned == 0 and result.missing == "2 of 2 creators have no ORCID iD"


def test_a_local_draft_doi_fails_the_identifier_check_and_half_of_findability(complete_dataset):
    _update_proposal(complete_dataset, doi_state=DoiState.LOCAL_DRAFT)
    results = fair.score_dataset(dataset=Dataset.objects.get(pk=complete_dataset.pk)).results
    assert results["pid"].earned == 0 and "does not resolve" in results["pid"].missing
    assert results["searchable"].earned == 0.5 and "DataCite" in results["searchable"].missing


def test_the_site_default_licence_earns_half(complete_dataset):
    _update_proposal(complete_dataset, licence="")
    assert earned(complete_dataset, "licence") == 0.5


def test_a_dataset_without_a_proposal_doi_is_cited_through_its_published_collection(complete_dataset):
    from tests.factories import CollectionFactory

    _update_proposal(complete_dataset, doi=None, doi_state=DoiState.NONE)
    collection = CollectionFactory(doi="10.80000/COLL-1", doi_state=DoiState.REGISTERED)
    collection.collected_datasets.add(complete_dataset)
    assert earned(complete_dataset, "pid") == 1.0


def test_derived_data_with_their_inputs_pass_the_links_and_provenance(complete_dataset):
    raw = DatasetFactory(proposal=complete_dataset.proposal)
    _set(complete_dataset, kind="derived")
    complete_dataset.input_datasets.add(raw)
    assert earned(complete_dataset, "inputs") == 1.0
    assert earned(complete_dataset, "provenance") == 1.0


def test_a_doi_scores_its_own_record_and_the_mean_of_its_datasets(complete_dataset):
    second = DatasetFactory(proposal=complete_dataset.proposal, definitions=[])
    fair.store_dataset_scores([complete_dataset.pk, second.pk])
    assessment = fair.score_document(document=complete_dataset.proposal)
    assert assessment.results["community_standard"].earned == 0.5
    assert "50%" in assessment.results["community_standard"].missing
    assert assessment.results["licence"].earned == 1.0 and assessment.results["orcid"].earned == 1.0


def test_bands():
    assert [band_of(s) for s in (0.95, 0.8, 0.6, 0.2)] == ["excellent", "good", "moderate", "poor"]
