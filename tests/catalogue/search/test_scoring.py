import math
from collections.abc import Iterator

import pytest
from django.utils import timezone

from catalogue.models import Dataset, Document, Instrument, SearchGroup, SearchIndexState
from catalogue.search import index, scoring
from catalogue.search.tasks import reindex_items
from tests.conftest import refetched, shared_rows
from tests.factories import DatasetFactory, FacilityFactory, InstrumentFactory, ProposalFactory

pytestmark = pytest.mark.django_db


def rebuild_all() -> None:
    for group in SearchGroup:
        index.rebuild(group=group)


@pytest.fixture(scope="class")
def _corpus_of_class(django_db_setup, django_db_blocker) -> Iterator[dict[str, Dataset]]:
    """Built and indexed once for the class (tests.conftest.shared_rows)."""
    with shared_rows(django_db_blocker):
        proposal = ProposalFactory(title="Order in frustrated systems", summary="Neutron diffraction.")
        datasets = {
            "both": DatasetFactory(proposal=proposal, title="Water in magnetic clay", description=""),
            "water": DatasetFactory(proposal=proposal, title="Water uptake of cement", description=""),
            "other": DatasetFactory(proposal=proposal, title="Glassy carbon standard", description=""),
            "secret": DatasetFactory(embargoed=True, title="Water secret zebrafish", description=""),
        }
        rebuild_all()
        yield datasets


@pytest.fixture
def corpus(_corpus_of_class, db) -> dict[str, Dataset]:
    """The test's own copies of the class's datasets."""
    return {name: refetched(dataset) for name, dataset in _corpus_of_class.items()}


def test_instruments_are_scored_by_name_and_facility():
    instrument = InstrumentFactory(name="MAGiC", description="Polarised diffractometer")
    InstrumentFactory(name="LoKI")
    rebuild_all()
    ranked = list(scoring.rank_instruments(candidates=Instrument.objects.all(), query="polarised magic"))
    assert [i.pk for i in ranked] == [instrument.pk]


def test_without_a_built_index_scores_fall_back_to_substrings_and_status_says_degraded(db, client):
    water = DatasetFactory(title="Water uptake", description="")
    DatasetFactory(title="Glassy carbon", description="")
    ranked = list(scoring.rank_datasets(candidates=Dataset.objects.all(), query="water magnetic"))
    assert [(d.pk, d.score) for d in ranked] == [(water.pk, pytest.approx(0.45))]
    assert "datasets" in " ".join(client.get("/panosc-api").json()["degraded"])


def test_scored_q_follows_the_substring_fallback_without_an_index(db):
    water = DatasetFactory(title="Water uptake", description="")
    DatasetFactory(title="Glassy carbon", description="")
    kept = Dataset.objects.filter(scoring.scored_q(SearchGroup.DATASETS, "water magnetic"))
    assert list(kept.values_list("pk", flat=True)) == [water.pk]


@pytest.fixture(scope="class")
def _wide_corpus_of_class(django_db_setup, django_db_blocker) -> Iterator[None]:
    """Datasets holding one, two or three of the words water, clay and cement in varied proportions, built and
    indexed once for the class (tests.conftest.shared_rows)."""
    texts = [
        "water clay cement",
        "water water clay",
        "clay clay clay water cement",
        "water",
        "clay",
        "cement water",
        "cement cement cement cement clay",
        "water clay",
        "dry sand",
    ]
    with shared_rows(django_db_blocker):
        # Named pids, one named proposal and instrument, not a factory's numbered ones: they are indexed with the
        # titles, and numbers (as words) that depend on what the process created before would change the scores.
        instrument = InstrumentFactory(name="WIDE", facility=FacilityFactory(short_name="WIDEFAC", name="Wide"))
        proposal = ProposalFactory(
            facility=instrument.facility, proposal_number="wide-one", title="Proposal: hydration of cement pastes"
        )
        for copy in range(1, 4):  # each copy repeats its first word more: distinct scores, no ties left to float noise
            for number, text in enumerate(texts):
                first, *rest = text.split()
                title = " ".join([first] * copy + rest)
                pid = f"wide/dataset/{copy}-{number}"
                DatasetFactory(pid=pid, title=title, description="", instrument=instrument, proposal=proposal)
        rebuild_all()
        yield


@pytest.fixture
def wide_corpus(_wide_corpus_of_class, db) -> None:
    """The class's wide corpus."""


class TestScoresOnTheSmallCorpus:
    """Three open datasets of one proposal and an embargoed one, indexed."""

    def test_single_term_score_is_point_nine_of_the_best_weight(self, corpus):
        ranked = list(scoring.rank_datasets(candidates=Dataset.objects.all(), query="water"))
        assert {d.pk for d in ranked} == {corpus["both"].pk, corpus["water"].pk}
        assert max(d.score for d in ranked) == pytest.approx(0.9)
        assert all(0 < d.score < 1 for d in ranked)

    def test_two_term_query_scores_one_term_matches_at_one_over_root_two(self, corpus):
        ranked = list(scoring.rank_datasets(candidates=Dataset.objects.all(), query="water magnetic"))
        scores = {d.pk: d.score for d in ranked}
        assert scores[corpus["water"].pk] == pytest.approx(1 / math.sqrt(2))
        assert ranked[0].pk == corpus["both"].pk
        assert scores[corpus["both"].pk] < 1
        assert corpus["other"].pk not in scores

    def test_embargoed_dataset_is_not_indexed_and_does_not_count_in_n(self, corpus):
        assert SearchIndexState.objects.get(group="datasets").items == 3
        ranked = scoring.rank_datasets(candidates=Dataset.objects.all(), query="zebrafish")
        assert list(ranked) == []

    def test_only_stop_words_behaves_as_no_query(self, corpus):
        ranked = scoring.rank_datasets(candidates=Dataset.objects.filter(pk=corpus["other"].pk), query="the of")
        assert [d.score for d in ranked] == [scoring.no_query_score()]

    def test_exact_pid_scores_highest(self, corpus):
        pid = corpus["other"].pid
        ranked = list(scoring.rank_datasets(candidates=Dataset.objects.all(), query=pid))
        assert ranked[0].pk == corpus["other"].pk
        assert ranked[0].score == scoring.MAX_SCORE

    def test_candidates_restrict_the_result_but_not_the_single_term_maximum(self, corpus):
        only_water = Dataset.objects.filter(pk=corpus["water"].pk)
        ranked = list(scoring.rank_datasets(candidates=only_water, query="water"))
        assert [d.pk for d in ranked] == [corpus["water"].pk]

    def test_documents_are_scored_with_the_text_of_their_open_datasets(self, corpus):
        ranked = list(scoring.rank_documents(candidates=Document.objects.all(), query="cement"))
        assert [d.pk for d in ranked] == [corpus["water"].proposal_id]
        assert list(scoring.rank_documents(candidates=Document.objects.all(), query="zebrafish")) == []

    def test_a_steward_edit_is_reflected_in_scores_after_commit(self, corpus, django_capture_on_commit_callbacks):
        dataset = corpus["other"]
        assert not scoring.rank_datasets(candidates=Dataset.objects.all(), query="perovskite").exists()
        with django_capture_on_commit_callbacks() as callbacks:
            dataset.title = "Perovskite thin film"
            dataset.save()
        assert callbacks  # the reindex is sent only once the edit is committed
        # What the Celery worker runs for that message:
        reindex_items("datasets", [dataset.pk])
        ranked = list(scoring.rank_datasets(candidates=Dataset.objects.all(), query="perovskite"))
        assert [d.pk for d in ranked] == [dataset.pk]

    def test_reindexing_twice_changes_nothing_and_closing_a_dataset_removes_it(self, corpus):
        dataset = corpus["water"]
        before = list(
            scoring.rank_datasets(candidates=Dataset.objects.all(), query="water cement").values_list("pk", "score")
        )
        index.reindex_datasets(dataset_ids=[dataset.pk])
        index.reindex_datasets(dataset_ids=[dataset.pk])
        after = list(
            scoring.rank_datasets(candidates=Dataset.objects.all(), query="water cement").values_list("pk", "score")
        )
        assert before == after
        Dataset.objects.filter(pk=dataset.pk).update(withdrawn_at=timezone.now())
        assert dataset.pk in index.stale_dataset_ids(limit=10)
        index.reindex_datasets(dataset_ids=[dataset.pk])
        assert SearchIndexState.objects.get(group="datasets").items == 2
        assert not scoring.rank_datasets(candidates=Dataset.objects.all(), query="cement").exists()

    def test_an_opened_embargo_is_indexed_after_commit(self, corpus, django_capture_on_commit_callbacks):
        from catalogue.signals import dataset_opened

        secret = corpus["secret"]
        Dataset.objects.filter(pk=secret.pk).update(open_now=True)
        with django_capture_on_commit_callbacks() as callbacks:
            dataset_opened.send(sender=Dataset, dataset=secret)
        assert callbacks
        reindex_items("datasets", [secret.pk])
        assert [d.pk for d in scoring.rank_datasets(candidates=Dataset.objects.all(), query="zebrafish")] == [secret.pk]

    @pytest.mark.parametrize(
        "query", ["water", "water magnetic", "glassy carbon zebrafish", "the of", "unheard", "{other} water"]
    )
    def test_scored_q_keeps_exactly_what_the_ranker_scores(self, corpus, query):
        """The portal counts matches with scored_q and ranks them with rank_datasets: the two sets must be one."""
        query = query.format(other=corpus["other"].pid)  # an exact pid joins the matches without the terms
        ranked = {d.pk for d in scoring.rank_datasets(candidates=Dataset.objects.all(), query=query)}
        kept = set(Dataset.objects.filter(scoring.scored_q(SearchGroup.DATASETS, query)).values_list("pk", flat=True))
        assert kept == ranked


class TestPagesOfTheWideCorpus:
    """Twenty-seven datasets of three words in varied proportions, indexed."""

    @pytest.mark.parametrize("query", ["water clay", "water clay cement", "clay cement", "water unheard", "water"])
    @pytest.mark.parametrize(("start", "stop"), [(0, 1), (0, 3), (2, 5), (0, 30), (10, 20)])
    def test_ranked_page_is_the_slice_of_the_full_ranking(self, wide_corpus, query, start, stop):
        """The top-k shortcut (only items holding every term) must never change a page, whether it applies or not."""
        full = scoring.rank_datasets(candidates=Dataset.objects.all(), query=query)
        expected = [(d.pk, pytest.approx(d.score)) for d in full[start:stop]]
        page = scoring.ranked_page(
            SearchGroup.DATASETS, candidates=Dataset.objects.all(), query=query, start=start, stop=stop
        )
        assert page == expected

    def test_items_holding_every_term_are_scored_as_by_the_full_ranking(self, wide_corpus):
        """The shortcut's one-row-per-item scores are the grouped scores of the same items, and its bound holds."""
        full = {
            d.pk: d.score for d in scoring.rank_datasets(candidates=Dataset.objects.all(), query="water clay cement")
        }
        scored, bound = scoring._holding_all_terms(SearchGroup.DATASETS, Dataset.objects.all(), "water clay cement")
        shortcut = dict(scored.values_list("pk", "score"))
        assert shortcut and shortcut == pytest.approx({pk: full[pk] for pk in shortcut})
        assert bound == pytest.approx(math.sqrt(2 / 3))
        assert all(score <= bound + 1e-9 for pk, score in full.items() if pk not in shortcut)
