"""The PaNOSC Search API's reads (spec §3.5, §6–§9): filter → queryset → ordered page → included relations → JSON.

Every query starts from the entity's public rows (open datasets, documents that hold one), so nothing embargoed
can reach a result, a count, an include or a score. Includes are fetched with one query per relation and level,
limited per parent in SQL (a window), never one query per row.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import unquote

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When, Window
from django.db.models.functions import Coalesce, RowNumber

from catalogue import visibility
from catalogue.models import Dataset, SearchGroup
from catalogue.panosc import serializers
from catalogue.panosc.conditions import (
    TechniqueWhere,
    UnitGroup,
    all_of,
    any_of,
    copied_parameter_q,
    parameter_where,
    technique_where,
    where_q,
)
from catalogue.panosc.entities import ENTITIES, Entity
from catalogue.panosc.errors import not_found
from catalogue.panosc.filters import (
    Filter,
    IncludeItem,
    Order,
    Scope,
    effective_limit,
    selected_fields,
)
from catalogue.search import scoring
from catalogue.search.terms import query_terms

GROUPS = {"Dataset": SearchGroup.DATASETS, "Document": SearchGroup.DOCUMENTS, "Instrument": SearchGroup.INSTRUMENTS}

# Relation paths that reach datasets through collections; skipped while no collection is published.
COLLECTION_PATHS = frozenset({"collections", "collected_datasets"})


def _is_dataset_techniques(item: IncludeItem) -> bool:
    return item.parent.name == "Dataset" and item.relation == "techniques"


def _is_dataset_parameters(item: IncludeItem) -> bool:
    return item.parent.name == "Dataset" and item.relation == "parameters"


def qualifies_q(item: IncludeItem) -> Q:
    """Rows of the item's target that qualify for it: its scope's where and every constraining nested item."""
    q = where_q(item.target, item.scope.where) if item.scope.where else Q()
    return q & all_of([related_q(nested) for nested in item.scope.include if nested.constraining])


def related_q(item: IncludeItem) -> Q:
    """A condition on the parent rows: it has a related row that qualifies for this (constraining) item."""
    if _is_dataset_techniques(item):
        # techniques are judged per dataset, not per row (spec §5.2)
        q = _techniques(item.scope).dataset_q if item.scope.where else Q()
        nested = all_of([related_q(inner) for inner in item.scope.include if inner.constraining])
        if nested:
            rows = item.target.base().filter(nested).values("pk")
            through = Dataset.techniques.through.objects.filter(dataset_id=OuterRef("pk"), technique_id__in=rows)
            q &= Q(Exists(through))
        return q
    if _is_dataset_parameters(item) and not any(nested.constraining for nested in item.scope.include):
        copied = copied_parameter_q(item.scope.where, path="facets__")
        if copied is not None:  # one column comparison on the dataset's facet row instead of a parameter join
            return copied
    relation = item.parent.relations[item.relation]
    rows = item.target.base().filter(qualifies_q(item))
    return any_of([_holds(item.target, rows, path, relation.shared_from) for path in _live_paths(relation.paths)])


def _techniques(scope: Scope) -> TechniqueWhere:
    """The scope's technique condition, compiled once per request: a filter, its page and its includes all test
    it, and compiling reads the technique sets."""
    if "techniques" not in scope.compiled:
        scope.compiled["techniques"] = technique_where(scope.where)
    return scope.compiled["techniques"]


def _holds(target: Entity, rows: QuerySet, path: str, shared_from: str | None = None) -> Q:
    """The parent row holds one of `rows` through `path`.

    A proposal's datasets are reached through their facet rows (catalogue.models.facets), which hold the proposal,
    the access columns and the copied technique and parameter conditions: PostgreSQL walks a proposal's narrow rows
    and reads a dataset only when its copy qualifies (E10 at a million datasets: 94k → 9k buffers).
    """
    if target.name == "Dataset" and path == "proposal":
        # Openness is tested on the facet row as well (the same columns, copied): an embargoed dataset is passed
        # over before its own row is read.
        return Q(Exists(rows.filter(visibility.open_q("facets__"), facets__proposal=OuterRef("pk"))))
    if shared_from is not None:
        # The parent's own column, not a join: a search filtered on files stays one probe per dataset.
        return Q(Exists(rows.filter(**{path: Coalesce(OuterRef(shared_from), OuterRef("pk"))})))
    return Q(Exists(rows.filter(**{path: OuterRef("pk")})))


def _live_paths(paths: tuple[str, ...]) -> tuple[str, ...]:
    """Skip the routes through collections while none is published (see visibility.collections_published)."""
    if visibility.collections_published():
        return paths
    return tuple(path for path in paths if path not in COLLECTION_PATHS) or paths


def candidates(entity: Entity, *, where: dict, include: list[IncludeItem]) -> QuerySet:
    """Public rows satisfying `where` and every constraining include (the parent filter of spec §3.5)."""
    q = where_q(entity, where) if where else Q()
    q &= all_of([related_q(item) for item in include if item.constraining])
    return entity.base().filter(q)


def _order_expressions(entity: Entity, orders: list[Order]) -> list:
    expressions = []
    for order in orders:
        if order.key == "score":
            continue
        spec = entity.fields[order.key]
        if spec.kind == "public":
            continue
        lookups = ("value_number", "value_text") if spec.kind == "parameter_value" else (spec.lookup,)
        for lookup in lookups:
            if not order.descending:
                expressions.append(F(lookup).asc(nulls_last=True))
            elif _nullable(entity, lookup):
                expressions.append(F(lookup).desc(nulls_last=True))
            else:  # DESC NULLS LAST would not match a backward walk of the column's index: a sort of every row
                expressions.append(F(lookup).desc())
    return expressions


def _nullable(entity: Entity, lookup: str) -> bool:
    try:
        return entity.model._meta.get_field(lookup).null
    except FieldDoesNotExist:  # a path or an annotation: assume it may be NULL
        return True


def _tie_break(entity: Entity) -> str:
    return "pid" if "pid" in entity.fields else "pk"


def search(entity: Entity, flt: Filter) -> list[dict]:
    queryset = candidates(entity, where=flt.where, include=flt.include)
    explicit = _order_expressions(entity, flt.order)
    if flt.query and query_terms(flt.query):
        rows = _ranked_page(entity, queryset, flt, explicit)
    else:
        order = explicit + [_tie_break(entity)] if explicit else list(entity.default_order)
        rows = list(_loaded(entity, queryset).order_by(*order)[flt.skip : flt.skip + flt.limit])
    return render(entity, rows, flt.include, fields=flt.fields, top_level=True)


def _loaded(entity: Entity, queryset: QuerySet) -> QuerySet:
    """Only the columns the entity's serializer reads (Entity.columns)."""
    return queryset.only(*entity.columns) if entity.columns else queryset


def _ranked_page(entity: Entity, candidates: QuerySet, flt: Filter, explicit: list) -> list:
    """The page of scored records: ranked on narrow rows (pk and score), then the page's full rows by pk.

    Grouping the postings with every column of the candidates made PostgreSQL hash whole rows; the page itself is
    re-read through the same candidate filters, so a record that stopped qualifying meanwhile is never shown.
    """
    page = scoring.ranked_page(
        GROUPS[entity.name],
        candidates=candidates,
        query=flt.query,
        start=flt.skip,
        stop=flt.skip + flt.limit,
        explicit=explicit,
    )
    scores = dict(page)
    full_rows = _loaded(entity, candidates.filter(pk__in=scores))
    by_pk = {row.pk: row for row in full_rows}
    rows = []
    for pk, score in page:
        if pk in by_pk:
            by_pk[pk].score = score
            rows.append(by_pk[pk])
    return rows


def count(entity: Entity, *, where: dict) -> int:
    return candidates(entity, where=where, include=[]).count()


def find(entity: Entity, pid: str, queryset: QuerySet | None = None):
    """A public record by pid (spec §1.3): exact, DOI case-insensitively, without resolver prefix, decoded again."""
    queryset = entity.base() if queryset is None else queryset
    for candidate in scoring.identifier_variants(pid) + [unquote(pid)]:
        row = queryset.filter(pid=candidate).first()
        if row is None and candidate.lower().startswith("10."):
            lookup = Q(pid__iexact=candidate)
            if "doi" in entity.fields:
                lookup |= Q(doi__iexact=candidate)
            row = queryset.filter(lookup).order_by("pk").first()
        if row is not None:
            return row
    raise not_found(f"No public {entity.name} with pid {pid!r}")


def get(entity: Entity, pid: str, flt: Filter) -> dict:
    row = find(entity, pid, _loaded(entity, entity.base()))
    return render(entity, [row], flt.include, fields=flt.fields, top_level=True)[0]


def files(pid: str, flt: Filter) -> list[dict]:
    dataset = find(ENTITIES["Dataset"], pid)
    entity = ENTITIES["File"]
    queryset = entity.base().filter(dataset_id=dataset.file_dataset_id or dataset.pk)  # a file is linked once
    if flt.where:
        queryset = queryset.filter(where_q(entity, flt.where))
    order = _order_expressions(entity, flt.order) + ["pk"] if flt.order else list(entity.default_order)
    rows = list(_loaded(entity, queryset).order_by(*order)[flt.skip : flt.skip + flt.limit])
    return render(entity, rows, flt.include, fields=flt.fields, top_level=False)


def files_count(pid: str, *, where: dict) -> int:
    dataset = find(ENTITIES["Dataset"], pid)
    entity = ENTITIES["File"]
    queryset = entity.base().filter(dataset_id=dataset.file_dataset_id or dataset.pk)  # a file is linked once
    return queryset.filter(where_q(entity, where)).count() if where else queryset.count()


# --- rendering with includes ------------------------------------------------------------------------------------


@dataclass
class _Fetched:
    relation: str
    many: bool
    by_parent: dict[int, list[dict]]


def render(
    entity: Entity, rows: list, include: list[IncludeItem], *, fields: dict | list | None, top_level: bool
) -> list[dict]:
    fetched = [_fetch(entity, rows, relation, items) for relation, items in _by_relation(include).items()]
    names = selected_fields(fields, entity=entity)
    serialize = serializers.SERIALIZERS[entity.name]
    unit_groups = getattr(rows, "unit_groups", None)
    result = []
    for row in rows:
        record = serialize(row, unit_groups) if entity.name == "Parameter" and unit_groups else serialize(row)
        record = {key: value for key, value in record.items() if key in names}
        if top_level:
            record = {"pid": row.pid, **record}
            score = getattr(row, "score", None)
            record["score"] = score if score is not None else scoring.no_query_score()
        for relation in fetched:
            children = relation.by_parent.get(row.pk, [])
            record[relation.relation] = children if relation.many else (children[0] if children else None)
        result.append(record)
    return result


def _by_relation(include: list[IncludeItem]) -> dict[str, list[IncludeItem]]:
    grouped: dict[str, list[IncludeItem]] = {}
    for item in include:
        grouped.setdefault(item.relation, []).append(item)
    return grouped


class _Rows(list):
    """Fetched rows plus the unit groups their parameter values are converted with."""

    unit_groups: list[UnitGroup]


def _fetch(entity: Entity, parents: list, relation_name: str, items: list[IncludeItem]) -> _Fetched:
    relation = entity.relations[relation_name]
    target = items[0].target
    scope = items[0].scope
    sends_all = any(not item.constraining for item in items)
    unit_groups: list[UnitGroup] = []
    if sends_all:
        row_filter = Q()
    elif _is_dataset_techniques(items[0]):
        outputs = [_techniques(item.scope).output_q if item.scope.where else None for item in items]
        chosen = [output for output in outputs if output is not None]
        row_filter = any_of(chosen) if len(chosen) == len(outputs) else Q()
        row_filter &= any_of([all_of([related_q(n) for n in item.scope.include if n.constraining]) for item in items])
    else:
        row_filter = any_of([qualifies_q(item) for item in items])
    annotations = {}
    if target.name == "Parameter" and not sends_all:
        for item in items:
            if item.scope.where:
                unit_groups.extend(parameter_where(item.scope.where).unit_groups)
        if unit_groups:
            annotations["panosc_group"] = Case(
                *[When(group.q, then=Value(index)) for index, group in enumerate(unit_groups)],
                default=None,
                output_field=IntegerField(),
            )
    limit = effective_limit(scope.limit)
    order = (
        _order_expressions(target, scope.order) + [_tie_break(target)] if scope.order else list(target.default_order)
    )
    by_parent: dict[int, list] = defaultdict(list)
    children: _Rows = _Rows()
    children.unit_groups = unit_groups
    seen: set[int] = set()
    shared_from = relation.shared_from
    holders = {parent.pk: getattr(parent, shared_from) or parent.pk for parent in parents} if shared_from else {}
    for path, parent_ids in _paths(relation, parents):
        if shared_from:
            parent_ids = sorted({holders[parent_id] for parent_id in parent_ids})
        if not parent_ids:
            continue
        parent, held = _held_by(target, path, parent_ids)
        queryset = (
            _loaded(target, target.base())
            .annotate(panosc_parent=F(parent))
            .filter(held)
            .filter(row_filter)
            .annotate(**annotations)
            .annotate(panosc_rank=Window(RowNumber(), partition_by=F("panosc_parent"), order_by=_window_order(order)))
            .filter(panosc_rank__gt=scope.skip, panosc_rank__lte=scope.skip + limit)
            .order_by("panosc_parent", "panosc_rank")
        )
        for row in _rows(target, queryset, annotations):
            by_parent[row.panosc_parent].append(row)
            if row.pk not in seen:
                seen.add(row.pk)
                children.append(row)
    rendered = render(target, children, _merged_include(items), fields=scope.fields, top_level=False)
    rendered_by_pk = {row.pk: record for row, record in zip(children, rendered, strict=True)}
    if shared_from:
        by_parent = defaultdict(list, {pk: by_parent.get(holder, []) for pk, holder in holders.items()})
    result = {parent_id: [rendered_by_pk[row.pk] for row in rows][:limit] for parent_id, rows in by_parent.items()}
    return _Fetched(relation_name, relation.many, result)


def _rows(target: Entity, queryset: QuerySet, annotations: dict) -> Iterable:
    """The fetched rows: model instances, or plain records where the serializer needs no more (Entity.plain_rows)."""
    if not target.plain_rows:
        return queryset
    names = ["pk", *target.columns, "panosc_parent", *annotations]
    return (SimpleNamespace(**values) for values in queryset.values(*names))


def _held_by(target: Entity, path: str, parent_ids: list[int]) -> tuple[str, Q]:
    """The lookup from a target row to its parent through `path`, and the condition on the rows these parents hold.

    A proposal's datasets are found through their facet rows, tested for openness and the copied conditions on
    the index of facet rows by proposal alone: not every dataset row of the proposals read (E10 at limit 250:
    5,000 dataset rows for 472).
    """
    held = Q(panosc_parent__in=parent_ids)  # on the annotation: a second lookup of a many relation joins it again
    if target.name == "Dataset" and path == "proposal":
        return "facets__proposal", held & visibility.open_q("facets__")
    return path, held


def _merged_include(items: list[IncludeItem]) -> list[IncludeItem]:
    return [nested for item in items for nested in item.scope.include]


def _paths(relation, parents: list) -> list[tuple[str, list[int]]]:
    if relation.path_for is None:
        return [(path, [parent.pk for parent in parents]) for path in _live_paths(relation.paths)]
    grouped: dict[str, list[int]] = {path: [] for path in relation.paths}
    for parent in parents:
        grouped[relation.path_for(parent)].append(parent.pk)
    return list(grouped.items())


def _window_order(order: list) -> list:
    return [
        F(item[1:]).desc()
        if isinstance(item, str) and item.startswith("-")
        else (F(item) if isinstance(item, str) else item)
        for item in order
    ]
