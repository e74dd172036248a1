"""What people read on the pages: SI values with significant digits and unit symbols, plurals, sizes in kB (SI),
no "?" for an unknown time."""

import pytest

from landing.datacite import metadata
from tests.factories import DataFileFactory, DatasetFactory, ParameterFactory


@pytest.fixture
def dataset(db):
    dataset = DatasetFactory(end_time=None, size=12_345, number_of_files=1)
    DataFileFactory(dataset=dataset, size=12_345)
    ParameterFactory(dataset=dataset, name="incident_energy", energy=True)
    ParameterFactory(dataset=dataset, name="incident_wavelength", wavelength=True)
    return dataset


def test_dataset_page_shows_si_values_with_significant_digits_and_unit_symbols(anonymous_client, dataset):
    page = anonymous_client.get(f"/datasets/{dataset.pid}").content.decode()
    assert "2.71×10⁻¹⁵ J" in page and "7.3×10⁻¹¹ m" in page
    assert "kilogram" not in page and "0.0000" not in page


def test_an_unknown_end_time_is_left_out_not_shown_as_a_question_mark(anonymous_client, dataset):
    page = anonymous_client.get(f"/datasets/{dataset.pid}").content.decode()
    assert "14 Mar 2020 09:26 UTC" in page and "– ?" not in page


def test_sizes_are_si_kilobytes_and_counts_are_plural_only_when_many(anonymous_client, dataset):
    search = anonymous_client.get("/search").content.decode()
    assert "12.3 kB in 1 file<" in search and "KB" not in search
    assert metadata.dataset_metadata(dataset=dataset, citing=None)["sizes"] == ["12345 bytes", "1 file"]
    proposal = dataset.proposal
    proposal.summary = ""
    record = metadata.document_metadata(document=proposal, stub=False)
    assert ": 1 dataset measured at" in record["descriptions"][0]["description"]


def test_messages_count_in_words_never_with_a_parenthesised_plural(anonymous_client, db):
    one = anonymous_client.get("/search", {"page": "2"}).content.decode()
    assert "page(s)" not in one
    assert "fill 1 page" in one
    assert anonymous_client.get("/catalog", {"page": "9", "format": "ttl"}).json()["detail"] == (
        "the catalogue has 1 page"
    )
