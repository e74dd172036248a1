"""'Similar datasets' on landing pages: visible datasets sharing a sample, technique, proposal or instrument.

Candidates are gathered per shared feature (a bounded, indexed query each), then scored in one SQL query:
a shared sample weighs most, then a technique, the proposal, the instrument; ties go to the newest. The newest
sharing a technique or the instrument are listed as the portal lists them (catalogue.search.datasets.in_order):
walking the dataset table's date index stepped over every embargoed dataset of the last years first (0.5 s each at a
million datasets).
"""

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Value, When
from django.db.models.expressions import CombinedExpression

from catalogue import visibility
from catalogue.models import Dataset
from catalogue.search.criteria import FacetName, SearchQuery
from catalogue.search.datasets import in_order, with_card_fields
from catalogue.search.techniques import technique_sets

WEIGHTS = {"sample": 4, "technique": 3, "proposal": 2, "instrument": 1}
CANDIDATES_PER_FEATURE = 4


def similar_datasets(*, dataset: Dataset, user: visibility.User, limit: int = 6) -> list[Dataset]:
    """Up to `limit` datasets like `dataset` that `user` may see, best first; never `dataset` itself."""
    visible = visibility.datasets_visible_to(user).exclude(pk=dataset.pk)
    sample_names = list(dataset.samples.values_list("name", flat=True))
    technique_ids = list(dataset.techniques.values_list("pk", flat=True))
    shares = {
        "sample": Q(samples__name__in=sample_names) if sample_names else None,
        "technique": Q(techniques__in=technique_ids) if technique_ids else None,
        "proposal": Q(proposal_id=dataset.proposal_id),
        "instrument": Q(instrument_id=dataset.instrument_id) if dataset.instrument_id else None,
    }
    facet_choices: dict[str, dict[FacetName, frozenset]] = {}
    if technique_ids:
        facet_choices["technique"] = {"technique": frozenset(technique_sets(Q(pk__in=technique_ids)))}
    if dataset.instrument_id:
        facet_choices["instrument"] = {"instrument": frozenset([dataset.instrument_id])}
    pool = limit * CANDIDATES_PER_FEATURE
    candidate_ids: set[int] = set()
    for feature, condition in shares.items():
        if feature in facet_choices:
            newest = in_order(user, SearchQuery(), facet_choices[feature], end=pool + 1)
            candidate_ids |= set(newest.values_list("pk", flat=True)) - {dataset.pk}
        elif condition is not None:
            candidate_ids |= set(
                visible.filter(condition).order_by("-creation_time", "-pid").values_list("pk", flat=True)[:pool]
            )
    if not candidate_ids:
        return []
    score: Value | CombinedExpression = Value(0, output_field=IntegerField())
    for feature, condition in shares.items():
        if condition is not None:
            matches = Dataset.objects.filter(condition, pk=OuterRef("pk"))
            score += Case(When(Exists(matches), then=Value(WEIGHTS[feature])), default=Value(0))
    ranked = Dataset.objects.filter(pk__in=candidate_ids).annotate(similarity=score)
    return list(with_card_fields(ranked.order_by("-similarity", "-creation_time", "-pid"))[:limit])
