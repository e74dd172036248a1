"""/search over HTTP: every facet and filter, facet counts that follow the query, and the embargo rules."""

import re
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import QueryDict
from django.test import override_settings
from django.utils import timezone

from catalogue.models import Dataset
from catalogue.models.facets import FACET_KEYS
from catalogue.search import counts, datasets
from catalogue.search.criteria import PAGE_SIZE
from landing.portal import forms
from tests.factories import DatasetFactory, InstrumentFactory
from tests.portal.conftest import SANS, SAS, SAXS, XRD, parameter

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(shared_catalogue):
    """Built once for the module (tests/portal/conftest.py, shared_catalogue)."""
    return shared_catalogue


@pytest.fixture
def proposal(shared_proposal):
    return shared_proposal


def titles(response) -> set[str]:
    return {dataset.title for dataset in response.context["results"].datasets}


def facet(response, name: str) -> dict[str, int]:
    """A facet's values and counts as the page got them (the technique tree flattened)."""
    found = next(f for f in response.context["results"].facets if f.name == name)
    counts: dict[str, int] = {}

    def walk(values):
        for value in values:
            counts[value.value] = value.count
            walk(value.children)

    walk(found.values)
    return counts


def test_search_without_filters_lists_every_open_dataset_newest_first(anonymous_client, catalogue):
    response = anonymous_client.get("/search")
    assert response.status_code == 200
    assert [d.title for d in response.context["results"].datasets] == [
        "Glassy carbon SAXS calibration",
        "Powder diffraction of cement",
        "Micelles in heavy water",
    ]


def test_embargoed_dataset_leaves_no_trace_for_anonymous_visitors(anonymous_client, catalogue):
    response = anonymous_client.get("/search")
    html = response.content.decode()
    assert "Unpublished glassy carbon secret" not in html
    assert "SECRET-BL" not in html
    assert "TIFF-SECRET" not in html
    assert catalogue.secret_beamline.pid not in facet(response, "instrument")
    assert facet(response, "format") == {"NeXus/HDF5": 2, "ISIS RAW": 1}
    assert facet(response, "year") == {"2021": 1, "2020": 1, "2019": 1}
    assert facet(response, "access") == {"open": 3}
    assert facet(response, "technique")[SAXS] == 1


def test_outsider_sees_no_more_than_anonymous(outsider_client, catalogue):
    response = outsider_client.get("/search", {"technique": SAXS})
    assert titles(response) == {"Glassy carbon SAXS calibration"}
    assert facet(response, "technique")[SAXS] == 1


def test_team_member_finds_their_embargoed_dataset_with_its_release_date(member_client, catalogue):
    response = member_client.get("/search", {"access": "embargoed"})
    assert titles(response) == {"Unpublished glassy carbon secret"}
    html = response.content.decode()
    assert "Embargoed until" in html
    assert catalogue.embargoed.release_date.strftime("%Y") in html


@override_settings(EMBARGOED_METADATA="visible")
def test_visible_policy_shows_embargoed_datasets_to_anyone_with_a_badge(anonymous_client, catalogue):
    response = anonymous_client.get("/search")
    assert "Unpublished glassy carbon secret" in titles(response)
    assert facet(response, "access") == {"open": 3, "embargoed": 1}
    assert "Embargoed until" in response.content.decode()


@override_settings(EMBARGOED_METADATA="visible")
def test_access_facet_filters_open_or_embargoed(anonymous_client, catalogue):
    assert titles(anonymous_client.get("/search", {"access": "open"})) == {
        "Glassy carbon SAXS calibration",
        "Powder diffraction of cement",
        "Micelles in heavy water",
    }
    assert titles(anonymous_client.get("/search", {"access": "embargoed"})) == {"Unpublished glassy carbon secret"}


def test_choosing_small_angle_scattering_includes_saxs_and_sans(anonymous_client, catalogue):
    response = anonymous_client.get("/search", {"technique": SAS})
    assert titles(response) == {"Glassy carbon SAXS calibration", "Micelles in heavy water"}


def test_technique_facet_is_the_panet_tree_counting_each_dataset_once_per_term(anonymous_client, catalogue):
    response = anonymous_client.get("/search")
    counts = facet(response, "technique")
    assert counts[SAS] == 2
    assert counts[SAXS] == 1 and counts[SANS] == 1 and counts[XRD] == 1
    assert counts["PaNET01184"] == 2  # x-ray scattering: SAXS and powder diffraction
    tree = next(f for f in response.context["results"].facets if f.name == "technique").values
    sas_nodes = []

    def find(values):
        for value in values:
            if value.value == SAS:
                sas_nodes.append(value)
            find(value.children)

    find(tree)
    assert sas_nodes and {child.value for child in sas_nodes[0].children} == {SAXS, SANS}
    assert "PaNET00001" not in counts  # the ontology's organising root is not offered


def test_technique_counts_follow_the_other_filters_but_not_their_own(anonymous_client, catalogue):
    response = anonymous_client.get("/search", {"technique": SAXS, "instrument": catalogue.i22.pid})
    assert titles(response) == {"Glassy carbon SAXS calibration"}
    assert facet(response, "technique")[XRD] == 1  # still offered: the other I22 dataset
    assert SANS not in facet(response, "technique")  # LOQ is not chosen
    assert facet(response, "instrument") == {catalogue.i22.pid: 1}


def test_instrument_facet_filters_and_keeps_other_instruments_countable(anonymous_client, catalogue):
    response = anonymous_client.get("/search", {"instrument": catalogue.i22.pid})
    assert titles(response) == {"Glassy carbon SAXS calibration", "Powder diffraction of cement"}
    assert facet(response, "instrument") == {catalogue.i22.pid: 2, catalogue.loq.pid: 1}
    assert facet(response, "facility") == {"DLS": 2}
    both = anonymous_client.get("/search", {"instrument": [catalogue.i22.pid, catalogue.loq.pid]})
    assert len(titles(both)) == 3


def test_facility_facet_filters_by_the_instruments_facility(anonymous_client, catalogue):
    response = anonymous_client.get("/search", {"facility": "ISIS"})
    assert titles(response) == {"Micelles in heavy water"}
    assert facet(response, "facility") == {"DLS": 2, "ISIS": 1}


def test_year_facet_filters_by_year_of_measurement(anonymous_client, catalogue):
    response = anonymous_client.get("/search", {"year": ["2019", "2020"]})
    assert titles(response) == {"Micelles in heavy water", "Powder diffraction of cement"}
    assert facet(response, "year") == {"2021": 1, "2020": 1, "2019": 1}


def test_file_format_facet_filters(anonymous_client, catalogue):
    response = anonymous_client.get("/search", {"format": "ISIS RAW"})
    assert titles(response) == {"Micelles in heavy water"}


def test_unknown_file_format_is_a_clear_empty_result(anonymous_client, catalogue):
    response = anonymous_client.get("/search", {"format": "FITS"})
    assert response.status_code == 200
    assert titles(response) == set()
    assert "No datasets match" in response.content.decode()
    assert facet(response, "format")["FITS"] == 0


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"temperature_max": "80", "temperature_unit": "celsius"}, {"Glassy carbon SAXS calibration"}),
        (
            {"temperature_min": "290", "temperature_max": "310", "temperature_unit": "K"},
            {"Glassy carbon SAXS calibration"},
        ),
        ({"temperature_min": "100", "temperature_unit": "fahrenheit"}, {"Micelles in heavy water"}),
        (
            {"temperature_min": "298.15", "temperature_max": "298.15", "temperature_unit": "K"},
            {"Glassy carbon SAXS calibration"},
        ),
        (
            {"wavelength_min": "0.09", "wavelength_max": "0.11", "wavelength_unit": "nm"},
            {"Glassy carbon SAXS calibration"},
        ),
        ({"wavelength_min": "5", "wavelength_max": "6", "wavelength_unit": "angstrom"}, {"Micelles in heavy water"}),
        ({"wavelength_min": "900", "wavelength_unit": "pm"}, {"Micelles in heavy water"}),
        ({"energy_min": "12000", "energy_max": "13000", "energy_unit": "eV"}, {"Glassy carbon SAXS calibration"}),
        ({"energy_min": "13", "energy_unit": "keV"}, set()),
        ({"pressure_min": "0.5", "pressure_max": "2", "pressure_unit": "bar"}, {"Micelles in heavy water"}),
        ({"pressure_max": "1", "pressure_unit": "kPa"}, set()),
    ],
)
def test_parameter_ranges_convert_units_like_the_api(anonymous_client, catalogue, params, expected):
    response = anonymous_client.get("/search", params)
    assert response.status_code == 200
    assert titles(response) == expected


def test_parameter_range_default_unit_is_the_first_offered(anonymous_client, catalogue):
    assert titles(anonymous_client.get("/search", {"temperature_max": "300"})) == {"Glassy carbon SAXS calibration"}


def test_embargoed_parameters_never_match_for_anonymous(anonymous_client, catalogue):
    from tests.portal.conftest import parameter

    parameter(catalogue.embargoed, "sample_temperature", 5, "K")
    response = anonymous_client.get("/search", {"temperature_max": "10", "temperature_unit": "K"})
    assert response.context["results"].total == 0
    assert facet(response, "instrument") == {}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"temperature_max": "80", "temperature_unit": "kelvinz"}, "not a unit we know"),
        ({"temperature_max": "80", "temperature_unit": "nm"}, "not a unit of sample temperature"),
        ({"temperature_max": "hot"}, "must be a number"),
        ({"temperature_min": "300", "temperature_max": "10"}, "range is empty"),
        ({"technique": "PaNET99999"}, "not a PaNET technique"),
        ({"instrument": "nowhere/bl0"}, "no instrument"),
        ({"facility": "XYZ"}, "no facility"),
        ({"year": "twenty"}, "not a year"),
        ({"access": "secret"}, "Access is"),
        ({"sort": "random"}, "sorted by"),
        ({"page": "0"}, "not a page number"),
        ({"page": "-3"}, "not a page number"),
        ({"page": "abc"}, "not a page number"),
        ({"page": "1" * 40}, "not a page number"),
        ({"q": "glassy\x00carbon"}, "NUL character"),
        ({"instrument": "bl\x00"}, "NUL character"),
        ({"q": "x" * 600}, "too long"),
    ],
)
def test_bad_query_strings_get_a_helpful_400_page(anonymous_client, catalogue, params, message):
    response = anonymous_client.get("/search", params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_page_past_the_end_gets_a_404_pointing_to_the_last_page(anonymous_client, catalogue):
    response = anonymous_client.get("/search", {"page": "99999999"})
    assert response.status_code == 404
    html = response.content.decode()
    assert "page 99999999 does not exist" in html
    assert "Go to the last page" in html


def test_markup_in_the_query_is_escaped_wherever_it_is_echoed(anonymous_client, catalogue):
    attack = '"><script>alert(1)</script>'
    for params in ({"q": attack}, {"q": attack, "technique": "nope"}, {"q": attack, "page": "999"}):
        html = anonymous_client.get("/search", params).content.decode()
        assert "<script>alert(1)" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_sort_by_title_and_oldest(anonymous_client, catalogue):
    by_title = anonymous_client.get("/search", {"sort": "title"}).context["results"].datasets
    assert [d.title for d in by_title] == sorted(d.title for d in by_title)
    oldest = anonymous_client.get("/search", {"sort": "oldest"}).context["results"].datasets
    assert oldest[0].title == "Micelles in heavy water"


def test_pages_are_stable_and_never_overlap(anonymous_client, catalogue):
    instrument = InstrumentFactory(name="P03")
    for _ in range(PAGE_SIZE + 5):  # same time: only the pid tie-break orders them
        DatasetFactory(instrument=instrument)
    seen = []
    for page in (1, 2):
        response = anonymous_client.get("/search", {"instrument": instrument.pid, "sort": "newest", "page": page})
        seen += [d.pid for d in response.context["results"].datasets]
    assert len(seen) == len(set(seen)) == PAGE_SIZE + 5
    again = anonymous_client.get("/search", {"instrument": instrument.pid, "sort": "newest", "page": 2})
    assert [d.pid for d in again.context["results"].datasets] == seen[PAGE_SIZE:]


def test_every_state_of_the_page_is_a_url_that_reads_back_the_same(catalogue):
    from django.http import QueryDict

    state = forms.parse(
        QueryDict(
            f"q=glassy+carbon&technique={SAXS}&instrument={catalogue.i22.pid}&facility=DLS&year=2021&access=open"
            "&format=NeXus/HDF5&temperature_max=80&temperature_unit=celsius&sort=title&page=1"
        )
    )
    assert forms.parse(QueryDict(forms.query_string(state))) == state


def test_facet_links_toggle_one_value_and_keep_the_rest(anonymous_client, indexed):
    response = anonymous_client.get("/search", {"q": "carbon", "instrument": indexed.i22.pid, "page": "1"})
    html = response.content.decode()
    hrefs = set(re.findall(r'href="(/search[^"]*)"', html))
    assert any(f"technique={SAXS}" in href and "instrument=" in href and "q=carbon" in href for href in hrefs)
    assert "/search?q=carbon" in hrefs  # removing the only chosen instrument


def test_search_page_runs_a_bounded_number_of_queries(anonymous_client, catalogue, django_assert_max_num_queries):
    for _ in range(10):
        DatasetFactory(instrument=catalogue.i22)
    with django_assert_max_num_queries(12):
        anonymous_client.get("/search", {"instrument": catalogue.i22.pid, "year": "2020"})


def test_result_count_matches_the_results_under_every_access_choice(member_client, catalogue):
    for params in ({}, {"access": "open"}, {"access": "embargoed"}, {"access": ["open", "embargoed"]}):
        response = member_client.get("/search", params)
        assert response.context["results"].total == len(response.context["results"].datasets)


def test_best_match_is_offered_only_with_search_text(anonymous_client, catalogue):
    assert "best match" not in anonymous_client.get("/search").content.decode()


def test_searching_a_proposal_number_offers_its_page(anonymous_client, member_client, catalogue):
    response = anonymous_client.get("/search", {"q": "MT9396-1"})
    assert f'href="/proposals/{catalogue.glassy_carbon.proposal.pid}"' in response.content.decode()
    embargoed = catalogue.embargoed.proposal.proposal_number
    assert "pc-shortcut" not in anonymous_client.get("/search", {"q": embargoed}).content.decode()
    assert "pc-shortcut" in member_client.get("/search", {"q": embargoed}).content.decode()


def test_anonymous_facet_counts_are_shared_until_the_catalogue_changes(anonymous_client, indexed):
    from catalogue.search import index

    first = anonymous_client.get("/search")
    assert facet(first, "instrument")[indexed.i22.pid] == 2
    late = DatasetFactory(instrument=indexed.i22)
    assert facet(anonymous_client.get("/search"), "instrument")[indexed.i22.pid] == 2  # shared counts
    index.reindex_datasets(dataset_ids=[late.pk])  # what the on-commit Celery task does for every change
    assert facet(anonymous_client.get("/search"), "instrument")[indexed.i22.pid] == 3


def test_signed_in_visitors_share_the_open_counts_and_get_their_teams_embargoed_data_counted_live(
    anonymous_client, member_client, outsider_client, indexed
):
    anonymous_client.get("/search")  # the open counts, kept for every visitor until the index changes
    DatasetFactory(instrument=indexed.i22)  # open, not yet indexed: the kept counts do not know it
    DatasetFactory(proposal=indexed.embargoed.proposal, instrument=indexed.i22, embargoed=True)
    assert facet(member_client.get("/search"), "access") == {"open": 3, "embargoed": 2}
    assert facet(outsider_client.get("/search"), "access") == {"open": 3}


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_a_dataset_released_since_it_was_last_written_is_listed_and_counted_in_date_order(
    anonymous_client, catalogue, sort
):
    """Its facet row still says "not open" (catalogue.search.counts.kept); the page and the counts must not."""
    created = datetime(2030, 1, 1, tzinfo=UTC) if sort == "newest" else datetime(2001, 1, 1, tzinfo=UTC)
    released = DatasetFactory(title="Released a moment ago", creation_time=created)
    Dataset.objects.filter(pk=released.pk).update(release_date=timezone.now() + timedelta(seconds=1))
    assert "Released a moment ago" not in titles(anonymous_client.get(f"/search?sort={sort}"))
    time.sleep(1.2)
    response = anonymous_client.get(f"/search?sort={sort}")
    assert response.context["results"].datasets[0].title == "Released a moment ago"
    assert response.context["results"].total == 4
    assert facet(response, "year")[str(created.year)] == 1


@pytest.mark.parametrize("as_literals", [True, False])
def test_a_dataset_released_since_it_was_last_written_is_counted_under_a_range(
    anonymous_client, catalogue, monkeypatch, as_literals
):
    """The rows released since last written are read as ids when few, else by their condition: same counts."""
    if not as_literals:
        monkeypatch.setattr(datasets, "RELEASED_AS_LITERALS", 0)
    released = DatasetFactory(title="Released a moment ago", instrument=catalogue.i22)
    parameter(released, "sample_temperature", 20, "degC")
    Dataset.objects.filter(pk=released.pk).update(release_date=timezone.now() + timedelta(seconds=1))
    url = "/search?temperature_max=30&temperature_unit=celsius"
    assert facet(anonymous_client.get(url), "instrument") == {catalogue.i22.pid: 1}
    time.sleep(1.2)
    response = anonymous_client.get(url)
    assert titles(response) == {"Glassy carbon SAXS calibration", "Released a moment ago"}
    assert facet(response, "instrument") == {catalogue.i22.pid: 2}


@pytest.mark.parametrize(
    "query_string",
    [
        "q=carbon",
        "q=glassy+carbon+micelles",
        "temperature_max=80&temperature_unit=celsius",
        "temperature_min=300&temperature_unit=K",
        "energy_min=10&energy_max=13&energy_unit=keV",
        "q=carbon+micelles&temperature_min=250&temperature_unit=K",
    ],
)
def test_text_and_range_counts_by_group_are_the_matching_rows_counted_by_their_keys(indexed, query_string):
    """Anonymous text and range counts go through each row's FacetGroup (for a text alone, the one its postings
    carry); the rows' own keys must agree."""
    DatasetFactory(title="Carbon black, second instrument", instrument=indexed.loq, file_format="CBF")
    assert sum(counted_by_group(query_string).values()) > 0


def test_a_dataset_named_by_its_identifier_is_counted_once_and_only_if_open(indexed):
    """An exact identifier joins the text's matches (catalogue.search.scoring), also in the counts."""
    instruments = Counter()
    for (_, instrument, *_), count in counted_by_group(f"q={indexed.sans.pid}").items():
        instruments[instrument] += count
    assert instruments[indexed.loq.pk] == 1
    assert all(key[1] != indexed.secret_beamline.pk for key in counted_by_group(f"q={indexed.embargoed.pid}"))


def counted_by_group(query_string: str) -> Counter:
    query = forms.parse(QueryDict(query_string))
    counted: Counter[tuple] = Counter()
    for group in counts.open_groups(query):
        counted[tuple(group[key] for key in ("technique_set", *FACET_KEYS[1:]))] += group["count"]
    rows = datasets.unfaceted_rows(AnonymousUser(), query).values_list(*FACET_KEYS)
    assert counted == Counter(rows)
    return counted
