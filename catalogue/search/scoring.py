"""Relevance scores of the PaNOSC `query`, on the PSS scale (spec §6.1, §6.3), computed in PostgreSQL.

The stable interface the PaNOSC API and the portal share:
    rank_datasets / rank_documents / rank_instruments(*, candidates, query) -> QuerySet annotated with `score`
    query_terms(text) -> list[str]
Only candidates with 0 < score are returned, ordered by score then the spec's tie-breaks (more query terms present,
larger Σw, newer, pid). Callers with an explicit `order` re-order with `ordered_by_score(group, explicit=...)`:
it breaks ties right after the score (spec §6.3 step 4).
"""

import logging
import math
import re
from urllib.parse import unquote

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    F,
    FilteredRelation,
    FloatField,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Greatest, Least, Sqrt

from catalogue.models import Dataset, Document, Instrument, SearchGroup, SearchIndexState, SearchTerm
from catalogue.search.index import GROUPS
from catalogue.search.terms import query_terms

logger = logging.getLogger(__name__)

MAX_SCORE = 0.999999
SINGLE_TERM_FACTOR = 0.9
__all__ = ["MAX_SCORE", "query_terms", "rank_datasets", "rank_documents", "rank_instruments"]

_DOI_PREFIXES = re.compile(r"^(doi:|https?://(dx\.)?doi\.org/)", re.IGNORECASE)
# Newest first among ties: the date that tells a reader which record is more recent.
_RECENCY = {
    SearchGroup.DATASETS: "creation_time",
    SearchGroup.DOCUMENTS: "start_date",
    SearchGroup.INSTRUMENTS: "name",
}


def no_query_score() -> float:
    return settings.PANOSC_NO_QUERY_SCORE


def rank_datasets(*, candidates: QuerySet[Dataset], query: str) -> QuerySet[Dataset]:
    return _rank(SearchGroup.DATASETS, candidates, query)


def rank_documents(*, candidates: QuerySet[Document], query: str) -> QuerySet[Document]:
    return _rank(SearchGroup.DOCUMENTS, candidates, query)


def rank_instruments(*, candidates: QuerySet[Instrument], query: str) -> QuerySet[Instrument]:
    return _rank(SearchGroup.INSTRUMENTS, candidates, query)


def identifier_variants(text: str) -> list[str]:
    """A pid or DOI as clients write it, normalised as for the pid route (spec §1.3)."""
    stripped = text.strip()
    variants = [stripped, _DOI_PREFIXES.sub("", stripped)]
    variants.append(unquote(variants[-1]))
    return list(dict.fromkeys(v for v in variants if v))


def _exact_identifier_q(group: SearchGroup, query: str) -> Q:
    variants = identifier_variants(query)
    q = Q(pid__in=variants)
    if group == SearchGroup.DOCUMENTS:
        for variant in variants:
            if variant.startswith("10."):
                q |= Q(doi__iexact=variant)
    return q


def _rank(group: SearchGroup, candidates: QuerySet, query: str) -> QuerySet:
    words = query_terms(query)
    config = GROUPS[group]
    model = config.model
    if not words:
        # Only stop words: behave as if there were no query (spec §6.1 [better]).
        return candidates.annotate(score=Value(no_query_score(), output_field=FloatField()))
    rows = dict(SearchTerm.objects.filter(group=group, term__in=words).values_list("pk", "document_frequency"))
    state = SearchIndexState.objects.filter(group=group).values_list("items", flat=True).first() or 0
    idf = {pk: math.log10(1 + max(state, df) / df) for pk, df in rows.items() if df > 0}
    exact = _exact_identifier_q(group, query)
    base = model.objects.filter(pk__in=candidates.values("pk"))
    if not idf:
        return base.filter(exact).annotate(
            score=Value(MAX_SCORE, output_field=FloatField()), score_hits=Value(0), score_sum=Value(0.0)
        )
    posting = config.posting
    if base.filter(exact).exists():
        # An exact identifier joins the scored set even without any of the terms: left join the postings.
        matched = posting.objects.filter(term_id__in=list(idf)).values(f"{config.item_field}_id")
        scored = base.filter(Q(pk__in=matched) | exact).annotate(
            hit=FilteredRelation("search_postings", condition=Q(search_postings__term_id__in=list(idf)))
        )
        relation = "hit"
    else:
        # The common case: an inner join on the query's terms, one pass over their postings.
        scored = base.filter(search_postings__term_id__in=list(idf))
        relation = "search_postings"
    weight = F(f"{relation}__tf") * Case(
        *[When(**{f"{relation}__term_id": pk, "then": Value(value)}) for pk, value in idf.items()],
        output_field=FloatField(),
    )
    ranked = scored.annotate(
        score_sum=Sum(weight, default=0.0),
        score_squares=Sum(weight * weight, default=0.0),
        score_hits=Count(f"{relation}__term_id"),
    )
    if len(words) == 1:
        (term_id,) = idf
        max_tf = posting.objects.filter(term_id=term_id).aggregate(top=Max("tf"))["top"] or 1.0
        relevance = Value(SINGLE_TERM_FACTOR) * F("score_sum") / Value(max_tf * idf[term_id])
    else:
        relevance = F("score_sum") / (Sqrt(Greatest(F("score_squares"), Value(1e-300))) * Value(math.sqrt(len(words))))
    is_exact = model.objects.filter(exact).values("pk")
    return ranked.annotate(
        score=Case(
            When(pk__in=is_exact, then=Value(MAX_SCORE)),
            default=Least(relevance, Value(MAX_SCORE)),
            output_field=FloatField(),
        )
    ).order_by(*ordered_by_score(group))


def ordered_by_score(group: SearchGroup, explicit: list | None = None) -> list:
    """The ordering of a scored list: score, an explicit order (if any), then the spec's tie-breaks."""
    recency = _RECENCY[group]
    newest = F(recency).desc(nulls_last=True) if recency != "name" else F(recency).asc()
    return [F("score").desc(), *(explicit or []), F("score_hits").desc(), F("score_sum").desc(), newest, "pid"]
