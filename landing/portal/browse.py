"""What the portal's home and browse pages show: catalogue totals, the newest open data, and one proposal's,
instrument's or technique's datasets, always through catalogue.visibility (directly or through catalogue.search).
"""

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet

from catalogue import panet, visibility
from catalogue.models import Dataset, DatasetFacets, Document, DocumentKind, Member, TechniqueSet
from catalogue.search import counts
from catalogue.search.cache import shared
from catalogue.search.criteria import FacetName, SearchQuery
from catalogue.search.datasets import choices, in_order, with_card_fields


@dataclass(frozen=True)
class CatalogueSummary:
    datasets: int
    proposals: int
    instruments: int
    techniques: int


def catalogue_summary() -> CatalogueSummary:
    """Totals of what the facility publishes: open datasets and the proposals, instruments, techniques behind them.

    The same for every visitor (open data only), so shared through the cache until the catalogue changes.
    """
    return shared("summary", "", _count_open_catalogue)


def _count_open_catalogue() -> CatalogueSummary:
    # Counted on the narrow facet rows: the dataset table itself is gigabytes at a million datasets.
    open_rows = DatasetFacets.objects.filter(visibility.open_q())
    totals = open_rows.aggregate(
        datasets=Count("pk"),
        proposals=Count("proposal", distinct=True),
        instruments=Count("instrument_id", distinct=True),
    )
    sets = TechniqueSet.objects.filter(pk__in=open_rows.values("technique_set"))
    techniques = {technique for techniques in sets.values_list("techniques", flat=True) for technique in techniques}
    return CatalogueSummary(
        datasets=totals["datasets"],
        proposals=totals["proposals"],
        instruments=totals["instruments"],
        techniques=len(techniques),
    )


@dataclass(frozen=True)
class Chosen:
    """A browse page's datasets: those the visitor may see with one facet choice (an instrument, a technique)."""

    total: int
    per_year: list[tuple[int, int]]  # (year of measurement, datasets), oldest first
    newest: list[Dataset]  # as cards


def chosen_datasets(*, user: visibility.User, query: SearchQuery, limit: int = 6) -> Chosen:
    """Counted as the portal counts them (the search's facet groups, shared until the catalogue changes) and the
    newest listed as the portal lists them (catalogue.search.datasets.in_order), where grouping and walking the
    dataset table took ~0.5 s each at a million datasets: its date index, walked newest first, steps over every
    embargoed dataset of the last years before the first open one."""
    chosen = choices(query)  # once: a technique is expanded to its narrower terms and their sets here
    found = counts.partitioned(counts.shared_groups(user, query), chosen)
    per_year = sorted((year, count) for year, count in found.per_facet()["year"].items() if count)
    return Chosen(found.total, per_year, _newest(user, query, chosen, limit))


def newest_open_datasets(*, limit: int = 6) -> list[Dataset]:
    """The newest open datasets, as cards: the same for every visitor."""
    return _newest(AnonymousUser(), SearchQuery(), {}, limit)


def _newest(user: visibility.User, query: SearchQuery, chosen: dict[FacetName, frozenset], limit: int) -> list[Dataset]:
    return list(with_card_fields(in_order(user, query, chosen, end=limit)))


def visible_proposal(*, user: visibility.User, pid: str) -> Document | None:
    """A proposal whose full record the visitor may see; None also when it exists but is under embargo."""
    return visible_proposals(user=user).select_related("facility").filter(pid=pid).first()


def proposal_named(*, user: visibility.User, text: str) -> Document | None:
    """The visible proposal whose number or pid is exactly the search text ("mt9396-1"), to offer as a shortcut."""
    if not text or len(text) > 255:
        return None
    # The few proposals so named first, then the visibility check on them alone (not on every proposal).
    named = list(Document.objects.filter(Q(proposal_number__iexact=text) | Q(pid=text)).values_list("pk", flat=True))
    return visible_proposals(user=user).filter(pk__in=named).first() if named else None


def visible_proposals(*, user: visibility.User) -> QuerySet[Document]:
    return visibility.documents_visible_to(user).exclude(kind=DocumentKind.COLLECTION)


def proposal_team(*, proposal: Document) -> list[Member]:
    """The team as registered: names, roles, ORCIDs, affiliations (the pages never show contact details)."""
    return list(proposal.members.select_related("person", "affiliation"))


def datasets_of_proposal(*, user: visibility.User, proposal: Document) -> QuerySet[Dataset]:
    visible = visibility.datasets_visible_to(user).filter(proposal=proposal)
    return with_card_fields(visible).order_by("creation_time", "pid")


def narrower_terms(panet_id: str) -> list[panet.PanetTerm]:
    """The terms that name this one among their direct parents."""
    vocabulary = panet.vocabulary()
    return sorted(
        (term for term in vocabulary.terms.values() if panet_id in term.parents and not term.is_concept),
        key=lambda term: term.label,
    )
