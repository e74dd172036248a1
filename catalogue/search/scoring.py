"""Relevance scores of the PaNOSC `query`, on the PSS scale (spec §6.1, §6.3), computed in PostgreSQL.

The stable interface the PaNOSC API and the portal share:
    rank_datasets / rank_documents / rank_instruments(*, candidates, query) -> QuerySet annotated with `score`
    query_terms(text) -> list[str]
    scored_q(group, query) -> Q keeping exactly the items rank_* would score (for counting and facets)
    text_match(group, query) -> TextMatch: the term ids and identifier matches scored_q keeps, for reading postings
    ranked_page(group, *, candidates, query, start, stop, explicit) -> [(pk, score)] of one page (top-k)
Only candidates with 0 < score are returned, ordered by score then the spec's tie-breaks (more query terms present,
larger Σw, newer, pid). Callers with an explicit `order` re-order with `ordered_by_score(group, explicit=...)`:
it breaks ties right after the score (spec §6.3 step 4).
"""

import logging
import math
import re
from dataclasses import dataclass
from urllib.parse import unquote

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    F,
    FilteredRelation,
    FloatField,
    Max,
    Model,
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

_DOI_PREFIXES = re.compile(r"^(doi:|https?://(dx\.)?doi\.org/)", re.IGNORECASE)


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


def _rank(group: SearchGroup, candidates: QuerySet, query: str, explicit: list | None = None) -> QuerySet:
    """The candidates `query` scores above 0, annotated and ordered by score, then `explicit`, then the tie-breaks."""
    words = query_terms(query)
    config = GROUPS[group]
    model = config.model
    if not words:
        # Only stop words: behave as if there were no query (spec §6.1 [better]).
        return candidates.annotate(score=Value(no_query_score(), output_field=FloatField()))
    idf = _idf(group, words)
    if idf is None:
        logger.warning("search index of %s was never built: substring scoring (run rebuild_search_index)", group)
        return _substring_rank(group, candidates, words).order_by(*ordered_by_score(group, explicit))
    exact = _exact_identifier_q(group, query)
    base = _scoring_base(model, candidates)
    if not idf:
        return (
            base.filter(exact)
            .annotate(score=Value(MAX_SCORE, output_field=FloatField()), score_hits=Value(0), score_sum=Value(0.0))
            .order_by(*ordered_by_score(group, explicit))
        )
    posting = config.posting
    # Asked of the table first: a query is rarely an identifier, and the candidates' filter costs milliseconds.
    has_exact = model._default_manager.filter(exact).exists() and base.filter(exact).exists()
    if len(words) == 1:
        (term_id,) = idf
        max_tf = posting._default_manager.filter(term_id=term_id).aggregate(top=Max("tf"))["top"] or 1.0
    if len(words) == 1 and not has_exact:
        # One term: one posting per item, so no grouping at all; the score is tf against the best tf.
        weight = F("search_postings__tf") * Value(idf[term_id])
        ranked = base.filter(search_postings__term_id=term_id).annotate(
            score_sum=weight, score_squares=weight * weight, score_hits=Value(1)
        )
        relevance = Value(SINGLE_TERM_FACTOR) * F("search_postings__tf") / Value(max_tf)
        # The score and Σw both rise with tf (tf ≤ max_tf keeps the score under MAX_SCORE), so ordering by tf is
        # the same order, and PostgreSQL walks the postings index from the top instead of sorting every match.
        order = [F("search_postings__tf").desc(), *(explicit or []), *_last_ties(group)]
        return ranked.annotate(score=Least(relevance, Value(MAX_SCORE), output_field=FloatField())).order_by(*order)
    if has_exact:
        # An exact identifier joins the scored set even without any of the terms: left join the postings.
        matched = posting._default_manager.filter(term_id__in=list(idf)).values(f"{config.item_field}_id")
        scored = base.filter(Q(pk__in=matched) | exact).annotate(
            hit=FilteredRelation("search_postings", condition=Q(search_postings__term_id__in=list(idf)))
        )
        relation = "hit"
    else:
        # Several terms: an inner join on their postings, grouped per item.
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
        relevance = Value(SINGLE_TERM_FACTOR) * F("score_sum") / Value(max_tf * idf[term_id])
    else:
        relevance = F("score_sum") / (Sqrt(Greatest(F("score_squares"), Value(1e-300))) * Value(math.sqrt(len(words))))
    score: Least | Case = Least(relevance, Value(MAX_SCORE))
    if has_exact:
        score = Case(
            When(pk__in=model._default_manager.filter(exact).values("pk"), then=Value(MAX_SCORE)),
            default=score,
            output_field=FloatField(),
        )
    return ranked.annotate(score=score).order_by(*ordered_by_score(group, explicit))


def ranked_page(
    group: SearchGroup, *, candidates: QuerySet, query: str, start: int, stop: int, explicit: list | None = None
) -> list[tuple[int, float]]:
    """(pk, score) at positions start..stop of the candidates ranked by `query` (then `explicit`, then the spec's
    tie-breaks): what a page of results needs, without scoring every match when that is provably unneeded.

    Top-k shortcut: with m ≥ 2 indexed query terms (of n), an item holding only k < m of them scores at most
    √(k/n) ≤ √((m−1)/n) (Cauchy–Schwarz on Σw / (√Σw² · √n)). So when the items holding all m terms, a far
    smaller set, fill the first `stop` places with scores above that bound, nothing else can reach the page; the
    scores are per item, so they are the very scores of the full ranking. Otherwise every match is scored.
    """
    all_terms = _holding_all_terms(group, candidates, query)
    if all_terms is not None:
        scored, bound = all_terms
        top = _narrow(scored.order_by(*ordered_by_score(group, explicit)), 0, stop)
        if len(top) == stop and top[-1][1] > bound + 1e-9:
            return top[start:stop]
    return _narrow(_rank(group, candidates, query, explicit), start, stop)


def _idf(group: SearchGroup, words: list[str]) -> dict[int, float] | None:
    """idf per indexed term of the words (terms no item holds are left out); None when the index was never built."""
    state = SearchIndexState.objects.filter(group=group).values_list("items", flat=True).first()
    if state is None:
        return None
    rows = dict(SearchTerm.objects.filter(group=group, term__in=words).values_list("pk", "document_frequency"))
    return {pk: math.log10(1 + max(state, df) / df) for pk, df in rows.items() if df > 0}


def _holding_all_terms(group: SearchGroup, candidates: QuerySet, query: str) -> tuple[QuerySet, float] | None:
    """The candidates holding every indexed term of a multi-term query, scored, with the bound above which the
    best of them cannot be beaten by the others; None when the shortcut does not apply (one term, an identifier).

    Each holds exactly one posting per term, so the score is computed on one joined row per item (a join per
    term), not by grouping postings: at a million datasets, 42 ms instead of 500 for 84k items.
    """
    words = query_terms(query)
    idf = _idf(group, words) if len(words) >= 2 else None
    if not idf or len(idf) < 2:
        return None
    config = GROUPS[group]
    if config.model._default_manager.filter(_exact_identifier_q(group, query)).exists():
        return None
    scored = _scoring_base(config.model, candidates)
    weights = []
    for position, (term_id, weight) in enumerate(idf.items()):
        alias = f"term_{position}"
        scored = scored.annotate(
            **{alias: FilteredRelation("search_postings", condition=Q(search_postings__term_id=term_id))}
        ).filter(**{f"{alias}__tf__isnull": False})  # on tf, which the covering index holds
        weights.append(F(f"{alias}__tf") * Value(weight))
    total = sum(weights[1:], weights[0])
    squares = sum((weight * weight for weight in weights[1:]), weights[0] * weights[0])
    relevance = total / (Sqrt(Greatest(squares, Value(1e-300))) * Value(math.sqrt(len(words))))
    scored = scored.annotate(
        score_sum=total,
        score_hits=Value(len(idf)),
        score=Least(relevance, Value(MAX_SCORE), output_field=FloatField()),
    )
    return scored, math.sqrt((len(idf) - 1) / len(words))


def _narrow(ranked: QuerySet, start: int, stop: int) -> list[tuple[int, float]]:
    # Selecting whole rows made PostgreSQL carry (and sort, on disk at a million datasets) every column of every
    # scored candidate; callers read the page's full rows by pk. The tie-break annotations are selected too:
    # PostgreSQL orders by constant ones through the select list.
    narrow = ranked.values_list("pk", "score", "score_hits", "score_sum")[start:stop]
    return [(pk, score) for pk, score, _, _ in narrow]


@dataclass(frozen=True)
class TextMatch:
    """What a query matches in the index: items holding a posting of one of `term_ids`, and the `exact` items
    named by an identifier (scored whether they hold a term or not)."""

    term_ids: list[int]
    exact: list[int]


def text_match(group: SearchGroup, query: str) -> TextMatch | None:
    """The index's view of what `query` matches; None while the group has no index (substring scoring instead)."""
    if not SearchIndexState.objects.filter(group=group).exists():
        return None
    exact = list(
        GROUPS[group].model._default_manager.filter(_exact_identifier_q(group, query)).values_list("pk", flat=True)
    )
    terms = SearchTerm.objects.filter(group=group, term__in=query_terms(query), document_frequency__gt=0)
    return TextMatch(term_ids=list(terms.values_list("pk", flat=True)), exact=exact)


def scored_q(group: SearchGroup, query: str) -> Q:
    """A filter on the group's items (or on rows keyed by their pk) keeping those `query` scores above 0.

    The set _rank returns, without ranking it: read off the postings of the query's terms, not aggregated, so a
    caller can count and facet the matches cheaply. Matches no one the ranker would not score.
    """
    words = query_terms(query)
    config = GROUPS[group]
    if not words:
        return Q()
    match = text_match(group, query)
    if match is None:
        return Q(pk__in=_substring_rank(group, config.model._default_manager.all(), words).order_by().values("pk"))
    # Ids are read first and passed as literals: with subqueries (and an OR between them) PostgreSQL could not
    # estimate the postings and scanned all 36M of them once per dataset of a million.
    postings = config.posting._default_manager.filter(term_id__in=match.term_ids).values(f"{config.item_field}_id")
    matched = Q(pk__in=postings) if match.term_ids else Q(pk__in=[])
    return matched | Q(pk__in=match.exact) if match.exact else matched


def _scoring_base(model: type[Model], candidates: QuerySet) -> QuerySet:
    """The candidates as a queryset safe to aggregate postings over.

    Candidates filtered on their own table only (open datasets, a date range) are used as they are: one scan. Joins
    (scoped includes) could repeat a candidate and inflate the sums, so those go through a `pk IN (…)` semi-join.
    """
    query = candidates.query
    if len(query.alias_map) == 1 and not query.distinct and not query.is_sliced:
        return candidates.order_by()
    return model._default_manager.filter(pk__in=candidates.values("pk"))


def _substring_rank(group: SearchGroup, candidates: QuerySet, words: list[str]) -> QuerySet:
    """Degraded scoring without the index (spec §6.3): 0.9 × the share of query terms found as substrings."""
    present = [
        Case(When(_any_field_contains(group, word), then=Value(1.0)), default=Value(0.0), output_field=FloatField())
        for word in words
    ]
    found = sum(present[1:], present[0])
    model = GROUPS[group].model
    ranked = model._default_manager.filter(pk__in=candidates.values("pk")).annotate(
        score_hits=found, score_sum=found, score=Value(SINGLE_TERM_FACTOR / len(words)) * found
    )
    return ranked.filter(score_hits__gt=0).order_by(*ordered_by_score(group))


def _any_field_contains(group: SearchGroup, word: str) -> Q:
    q = Q()
    for field in GROUPS[group].fallback_text:
        q |= Q(**{f"{field}__icontains": word})
    return q


def degraded_groups() -> list[str]:
    """Groups whose index was never built (scored by substrings until `rebuild_search_index` runs)."""
    built = set(SearchIndexState.objects.values_list("group", flat=True))
    return [group.value for group in SearchGroup if group.value not in built]


def ordered_by_score(group: SearchGroup, explicit: list | None = None) -> list:
    """The ordering of a scored list: score, an explicit order (if any), then the spec's tie-breaks."""
    return [F("score").desc(), *(explicit or []), F("score_hits").desc(), F("score_sum").desc(), *_last_ties(group)]


def _last_ties(group: SearchGroup) -> list:
    """The spec's last tie-breaks: newer first, then pid."""
    recency = GROUPS[group].recency
    return [F(recency).desc(nulls_last=True) if recency != "name" else F(recency).asc(), "pid"]
