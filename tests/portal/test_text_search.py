"""Free text on /search: the PaNOSC relevance score orders results, and facets count what the text matches."""

import pytest
from django.contrib.auth.models import AnonymousUser

from catalogue import visibility
from catalogue.search import index, scoring
from tests.factories import DatasetFactory
from tests.portal.conftest import SAXS

pytestmark = pytest.mark.django_db


def result_titles(response) -> list[str]:
    return [dataset.title for dataset in response.context["results"].datasets]


def test_text_search_orders_by_the_panosc_relevance_score(anonymous_client, indexed):
    response = anonymous_client.get("/search", {"q": "glassy carbon"})
    expected = scoring.rank_datasets(
        candidates=visibility.datasets_visible_to(AnonymousUser()), query="glassy carbon"
    ).values_list("title", flat=True)
    assert result_titles(response) == list(expected)
    assert result_titles(response)[0] == "Glassy carbon SAXS calibration"


def test_text_acts_as_a_filter_and_facets_count_only_what_it_matches(anonymous_client, indexed):
    response = anonymous_client.get("/search", {"q": "micelles"})
    assert result_titles(response) == ["Micelles in heavy water"]
    instruments = next(f for f in response.context["results"].facets if f.name == "instrument")
    assert {value.value: value.count for value in instruments.values} == {indexed.loq.pid: 1}


def test_text_with_a_facet_narrows_both(anonymous_client, indexed):
    response = anonymous_client.get("/search", {"q": "glassy carbon", "technique": SAXS})
    assert result_titles(response) == ["Glassy carbon SAXS calibration"]


def test_embargoed_dataset_is_never_found_by_its_words(anonymous_client, indexed):
    response = anonymous_client.get("/search", {"q": "unpublished secret"})
    assert response.context["results"].total == 0
    assert "Unpublished" not in response.content.decode().split("<main", 1)[1].replace("unpublished secret", "")


def test_only_stop_words_behave_as_no_query(anonymous_client, indexed):
    response = anonymous_client.get("/search", {"q": "the of and"})
    assert response.context["results"].total == 3
    assert response.context["effective_sort"] == "newest"


def test_text_results_can_be_sorted_by_title_instead(anonymous_client, indexed):
    reference = DatasetFactory(title="A carbon black reference")
    index.reindex_datasets(dataset_ids=[reference.pk])
    response = anonymous_client.get("/search", {"q": "carbon", "sort": "title"})
    assert result_titles(response) == ["A carbon black reference", "Glassy carbon SAXS calibration"]
