"""Each counting strategy of catalogue.search.counts counts exactly the matching facet rows, inside a transaction
(in the caller) and outside one (on the helper thread of catalogue.search.beside, as for visitors), and anonymous
visitors share a search's counts until the catalogue changes (catalogue.search.cache)."""

import threading
from collections import Counter

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone

from catalogue.models import SearchGroup, SearchIndexState
from catalogue.models.facets import FACET_KEYS
from catalogue.search import counts, datasets
from catalogue.search.beside import beside
from catalogue.search.cache import shared
from catalogue.search.criteria import RANGE_KINDS, ParameterRange, SearchQuery
from tests.factories import DatasetFactory

BELOW_80_C = ParameterRange(RANGE_KINDS["temperature"], "celsius", None, 80)
STRATEGIES = {
    "kept by PostgreSQL": SearchQuery(),
    "by group off the open rows": SearchQuery(ranges=(BELOW_80_C,)),
    "off the text's postings": SearchQuery(text="carbon"),
    "text and range by group": SearchQuery(text="carbon", ranges=(BELOW_80_C,)),
}
KEYS = ("technique_set", *FACET_KEYS[1:], "access")


def definition(user, query: SearchQuery) -> Counter:
    rows = datasets.unfaceted_rows(user, query).annotate(access=datasets.access_case())
    return Counter(rows.values_list("technique_set", *FACET_KEYS[1:], "access"))


def on_helper(user, query: SearchQuery) -> tuple[str, Counter]:
    """The thread that counted, and its counts by key combination."""

    def count() -> tuple[str, list[dict]]:
        return threading.current_thread().name, counts.open_groups(query) + counts.groups_beyond_open(user, query)

    thread, groups = beside(count).result()
    counted: Counter = Counter()
    for group in groups:
        counted[tuple(group[key] for key in KEYS)] += group["count"]
    return thread, +counted


@pytest.mark.parametrize("query", STRATEGIES.values(), ids=STRATEGIES)
def test_inside_a_transaction_each_strategy_counts_the_matching_rows_in_the_caller(indexed, query):
    thread, counted = on_helper(AnonymousUser(), query)
    assert thread == threading.current_thread().name
    assert counted == definition(AnonymousUser(), query)
    assert counted


@pytest.mark.parametrize("query", STRATEGIES.values(), ids=STRATEGIES)
def test_outside_a_transaction_each_strategy_counts_the_matching_rows_on_the_helper(transactional_db, indexed, query):
    thread, counted = on_helper(AnonymousUser(), query)
    assert thread != threading.current_thread().name
    assert counted == definition(AnonymousUser(), query)
    assert counted


@pytest.mark.parametrize("in_transaction", [True, False])
def test_a_member_gets_the_rows_they_may_see_counted_with_access(transactional_db, indexed, member, in_transaction):
    if in_transaction:
        with transaction.atomic():
            _, counted = on_helper(member, SearchQuery())
    else:
        _, counted = on_helper(member, SearchQuery())
    assert counted == definition(member, SearchQuery())


@pytest.mark.parametrize("policy", ["hidden", "visible"])
@pytest.mark.parametrize("query", STRATEGIES.values(), ids=STRATEGIES)
def test_every_visitor_gets_what_they_may_see_counted_open_rows_by_strategy_and_the_rest_by_row(
    indexed, outsider, member, steward, settings, query, policy
):
    settings.EMBARGOED_METADATA = policy
    # Withdrawn from the member's proposal: only stewards see it (as in the reference, unfaceted_rows).
    DatasetFactory(proposal=indexed.embargoed.proposal, instrument=indexed.i22, withdrawn_at=timezone.now())
    visitors = {"anonymous": AnonymousUser(), "outsider": outsider, "member": member, "steward": steward}
    seen = {}
    for name, user in visitors.items():
        parts = [set(part.values_list("pk", flat=True)) for part in datasets.unfaceted_parts(user, query)]
        assert set().union(*parts) == set(datasets.unfaceted_rows(user, query).values_list("pk", flat=True)), name
        assert sum(map(len, parts)) == len(set().union(*parts)), f"{name}: the parts overlap"
        _, counted = on_helper(user, query)
        assert counted == definition(user, query), name
        seen[name] = sum(count for key, count in counted.items() if key[-1] == "embargoed")
    # The embargoed dataset has no parameters, and the text index holds open data only: no filter alone finds it.
    expected = {"member", "steward"} | ({"anonymous", "outsider"} if policy == "visible" else set())
    assert {name for name, count in seen.items() if count} == (set() if query.has_text or query.ranges else expected)


def test_anonymous_visitors_share_counts_until_the_catalogue_changes(indexed):
    computed = []

    def compute() -> int:
        computed.append(1)
        return len(computed)

    assert shared("test", "state", compute) == 1
    assert shared("test", "state", compute) == 1  # from the cache
    assert shared("test", "other state", compute) == 2
    SearchIndexState.objects.filter(group=SearchGroup.DATASETS).update(updated_at=timezone.now())
    assert shared("test", "state", compute) == 3
