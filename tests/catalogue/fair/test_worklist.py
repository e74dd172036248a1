"""The stewards' worklist (ordered by gain per edit), the dashboard and its snapshots, and the admin's score column
and band filter within query-count ceilings."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalogue.models import Dataset, DatasetFairScore, Document, FairSnapshot, Instrument, Person, RelatedWork
from catalogue.services import fair
from tests.factories import (
    DatasetFactory,
    FacilityFactory,
    InstrumentFactory,
    MemberFactory,
    PersonFactory,
    ProposalFactory,
    SampleFactory,
    TechniqueFactory,
)


@pytest.fixture
def facility_catalogue(db):
    """Proposal A: 6 datasets, 3 creators without ORCID and no licence. Proposal B: 2 datasets without keywords.

    Both link a paper, have a DOI-less instrument and no NeXus definition: gaps every row shares."""
    facility = FacilityFactory(short_name="WORK")
    a = ProposalFactory(facility=facility, proposal_number="A-1", licence="")
    for _ in range(3):
        MemberFactory(document=a, person=PersonFactory(orcid=""))
    b = ProposalFactory(facility=facility, proposal_number="B-1")
    MemberFactory(document=b)
    for proposal in (a, b):
        RelatedWork.objects.create(document=proposal, identifier=f"10.1107/S16005775220{proposal.pk:05d}")
    instrument = InstrumentFactory(facility=facility)
    common = {"instrument": instrument, "techniques": [TechniqueFactory()], "samples": [SampleFactory()]}
    datasets = [DatasetFactory(proposal=a, keywords=["x"], **common) for _ in range(6)]
    datasets += [DatasetFactory(proposal=b, keywords=[], **common) for _ in range(2)]
    fair.recompute(fair.Changed(datasets=tuple(d.pk for d in datasets)))
    return facility, a, b


def test_worklist_puts_the_biggest_gain_per_edit_first(facility_catalogue):
    facility, a, b = facility_catalogue
    items = fair.worklist(facility_id=facility.pk)
    values = [item.gain_per_edit for item in items]
    assert values == sorted(values, reverse=True)
    by_key = {(item.check, item.proposal_id): item for item in items}
    orcid = by_key[("orcid", a.pk)]
    assert (orcid.edits, orcid.datasets) == (3, 6)
    assert orcid.what == "add ORCID iDs for 3 people of proposal A-1"
    licence = by_key[("licence", a.pk)]
    assert licence.edits == 1 and licence.datasets == 6
    keywords = by_key[("keywords", b.pk)]
    assert keywords.edits == 1 and keywords.datasets == 2
    # Licence (1 edit on 6 datasets) beats ORCID (3 edits on the same 6) and keywords (1 edit on 2 datasets).
    order = [(item.check, item.proposal_id) for item in items]
    assert order.index(("licence", a.pk)) < order.index(("orcid", a.pk))
    assert order.index(("licence", a.pk)) < order.index(("keywords", b.pk))
    assert all(item.check not in ("searchable", "pid", "access") for item in items)


def test_worklist_sums_follow_deleted_and_moved_datasets(facility_catalogue, kept_sums_match_a_recount):
    facility, a, b = facility_catalogue
    kept_sums_match_a_recount()
    moved, deleted = Dataset.objects.filter(proposal=a).order_by("pk")[:2]
    Dataset.objects.filter(pk=moved.pk).update(proposal=b)
    fair.recompute(fair.Changed(datasets=(moved.pk,)))
    deleted.delete()
    licence = {(i.check, i.proposal_id): i for i in fair.worklist(facility_id=facility.pk)}[("licence", a.pk)]
    assert licence.datasets == 4
    kept_sums_match_a_recount()


def test_fixing_the_first_item_removes_it_and_raises_the_scores(
    facility_catalogue, steward_client, django_capture_on_commit_callbacks, kept_sums_match_a_recount
):
    facility, a, _ = facility_catalogue
    first = fair.worklist(facility_id=facility.pk)[0]
    assert (first.check, first.proposal_id) == ("licence", a.pk)
    before = fair.band_counts()
    mean_before = sum(d.fair_score.score for d in Dataset.objects.filter(proposal=a))
    with django_capture_on_commit_callbacks(execute=True):
        response = steward_client.post(
            reverse("fair-fix", kwargs={"check": "licence", "proposal_id": a.pk}), {"licence": "CC-BY-4.0"}
        )
    assert response.status_code == 303
    assert ("licence", a.pk) not in [(i.check, i.proposal_id) for i in fair.worklist(facility_id=facility.pk)]
    assert sum(d.fair_score.score for d in Dataset.objects.filter(proposal=a)) > mean_before
    assert sum(fair.band_counts().values()) == sum(before.values())
    kept_sums_match_a_recount()


def test_fix_page_refuses_bad_input_and_outsiders(facility_catalogue, steward_client, outsider_client):
    _, a, _ = facility_catalogue
    url = reverse("fair-fix", kwargs={"check": "publication", "proposal_id": a.pk})
    assert steward_client.post(url, {"identifier": "not a doi", "relation": "IsCitedBy"}).status_code == 400
    assert steward_client.get(reverse("fair-fix", kwargs={"check": "nonsense", "proposal_id": a.pk})).status_code == 404
    assert outsider_client.get(url).status_code == 302  # the admin's login


def test_worklist_and_dashboard_pages_render_with_plots(facility_catalogue, steward_client):
    page = steward_client.get(reverse("fair-worklist"), {"facility": "WORK"})
    assert page.status_code == 200 and b"Add ORCID iDs for 3 people of proposal A-1" in page.content
    assert steward_client.get(reverse("fair-worklist"), {"facility": "NOPE"}).status_code == 404
    fair.take_snapshot()
    assert FairSnapshot.objects.filter(instrument__isnull=True, facility__isnull=True).get().datasets == 8
    dashboard = steward_client.get(reverse("fair-dashboard"))
    assert dashboard.status_code == 200
    for name in ("fair-distribution-plot", "fair-history-plot"):
        svg = steward_client.get(reverse(name))
        assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml" and svg.content.startswith(b"<?xml")


def test_an_instrument_named_with_dollar_signs_is_drawn_as_written(facility_catalogue, steward_client):
    """Names are the registry's and the files' words: a "$" must not start Matplotlib's mathtext (this is no math)."""
    Instrument.objects.update(name="I22 $\\frac{1}$ beam")
    fair.take_snapshot()
    for name in ("fair-distribution-plot", "fair-history-plot"):
        svg = steward_client.get(reverse(name))
        assert svg.status_code == 200 and svg.content.startswith(b"<?xml")


def test_snapshot_is_idempotent_per_day(facility_catalogue):
    fair.take_snapshot()
    fair.take_snapshot()
    assert FairSnapshot.objects.filter(instrument__isnull=True, facility__isnull=True).count() == 1


def test_worklist_query_count_does_not_grow_with_the_catalogue(facility_catalogue, steward_client):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert steward_client.get(reverse("fair-worklist")).status_code == 200
        return len(captured)

    few = queries()
    facility = facility_catalogue[0]
    more = [DatasetFactory(proposal=ProposalFactory(facility=facility, licence=""), instrument=None) for _ in range(6)]
    fair.recompute(fair.Changed(datasets=tuple(d.pk for d in more)))
    assert queries() == few <= 15


def test_admin_lists_show_the_score_filter_by_band_within_a_query_ceiling(facility_catalogue, steward_client):
    url = reverse("admin:catalogue_dataset_changelist")
    with CaptureQueriesContext(connection) as captured:
        page = steward_client.get(url, {"o": "8"})  # sorted by the FAIR column
    assert page.status_code == 200 and len(captured) <= 15, "\n".join(q["sql"][:150] for q in captured)
    band = fair.breakdown(Dataset.objects.first().fair_score).band
    filtered = steward_client.get(url, {"fair": band})
    assert filtered.status_code == 200 and filtered.context["cl"].result_count >= 1
    assert steward_client.get(url, {"fair": "unscored"}).context["cl"].result_count == 0
    documents = steward_client.get(reverse("admin:catalogue_proposal_changelist"), {"fair": "unscored"})
    assert documents.status_code == 200
    assert Document.objects.count() >= 2 and Person.objects.count() >= 4


def test_admin_sorted_by_score_walks_the_score_index_in_order(facility_catalogue, steward_client):
    unscored = DatasetFactory(proposal=facility_catalogue[1])  # the test's transaction never commits: unscored
    scored = list(DatasetFairScore.objects.order_by("score", "dataset_id").values_list("dataset_id", flat=True))
    url = reverse("admin:catalogue_dataset_changelist")

    def listed(**params: str) -> list[int]:
        page = steward_client.get(url, params)
        assert page.status_code == 200
        return [dataset.pk for dataset in page.context["cl"].result_list]

    # The changelist's `o` counts columns from the action checkbox.
    column = str(["action_checkbox", *admin.site._registry[Dataset].list_display].index("fair"))
    # Ties broken by pk in the score's direction, as the index (score, dataset) reads forwards and backwards.
    assert listed(o=column) == scored
    assert listed(o=f"-{column}") == scored[::-1]
    assert unscored.pk not in listed(o=column) and unscored.pk in listed()  # under "not scored yet" instead
    worst = DatasetFairScore.objects.order_by("score").first()
    band = fair.breakdown(worst).band
    in_band = [pk for pk in scored if fair.breakdown(DatasetFairScore.objects.get(pk=pk)).band == band]
    assert listed(fair=band) == in_band  # a band's lowest scores first
