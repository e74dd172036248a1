"""Reads the LoopBack `filter` / `where` JSON (spec §1.4, §3.1, §3.3, §3.4) into checked, typed values.

Nothing here touches the database: every shape error becomes a 400 naming the problem, before any query runs.
"""

import json
import logging
from dataclasses import dataclass, field

from django.conf import settings

from catalogue.panosc.entities import ENTITIES, Entity
from catalogue.panosc.errors import bad_request

logger = logging.getLogger(__name__)

MAX_FILTER_BYTES = 100 * 1024
MAX_INCLUDE_DEPTH = 4
TOP_LEVEL_KEYS = frozenset({"where", "include", "order", "fields", "limit", "skip", "offset", "query"})


@dataclass(frozen=True)
class Order:
    key: str  # a wire property or "score"
    descending: bool


@dataclass
class Scope:
    where: dict
    include: list["IncludeItem"]
    fields: dict | list | None = None
    order: list[Order] = field(default_factory=list)
    limit: int | None = None
    skip: int = 0
    # Conditions compiled from this scope, kept for the request that parsed it (see queries._techniques).
    compiled: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass
class IncludeItem:
    relation: str
    parent: Entity
    target: Entity
    scope: Scope

    @property
    def constraining(self) -> bool:
        return bool(self.scope.where) or any(item.constraining for item in self.scope.include)


@dataclass
class Filter:
    where: dict
    include: list[IncludeItem]
    order: list[Order]
    fields: dict | list | None
    limit: int
    skip: int
    query: str


def max_limit() -> int:
    return settings.PANOSC_MAX_LIMIT


def parse_json(raw: str | None, *, what: str) -> dict:
    """`filter`/`where` from the query string: missing, empty or null mean {}; anything but an object is a 400."""
    if raw is None or not raw.strip() or raw.strip() == "null":
        return {}
    if len(raw.encode()) > MAX_FILTER_BYTES:
        raise bad_request("INVALID_FILTER", f"'{what}' is larger than {MAX_FILTER_BYTES // 1024} KB")
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise bad_request("INVALID_FILTER", f"'{what}' is not valid JSON: {error}") from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_request("INVALID_FILTER", f"'{what}' must be a JSON object")
    return value


def parse_count(value: object, *, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise bad_request("INVALID_VALUE", f"'{name}' must be a non-negative integer")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or value < 0:
        raise bad_request("INVALID_VALUE", f"'{name}' must be a non-negative integer, not {value!r}")
    return value


def effective_limit(value: int | None) -> int:
    """Missing, null or 0 mean as many as allowed; anything above MAX_LIMIT is cut to it."""
    return min(value, max_limit()) if value else max_limit()


def parse_order(value: object, *, entity: Entity) -> list[Order]:
    if value is None or value == "" or value == []:
        return []
    items = value if isinstance(value, list) else [value]
    orders = []
    for item in items:
        if not isinstance(item, str) or not item.split():
            raise bad_request("INVALID_FILTER", f"'order' items must be strings like 'title ASC', not {item!r}")
        parts = item.split()
        if len(parts) > 2 or (len(parts) == 2 and parts[1].upper() not in ("ASC", "DESC")):
            raise bad_request("INVALID_FILTER", f"'order' item {item!r} is not 'property [ASC|DESC]'")
        key = parts[0]
        if key != "score" and key not in entity.fields:
            raise bad_request("UNKNOWN_PROPERTY", f"Unknown property '{key}' in order on {entity.name}")
        orders.append(Order(key, len(parts) == 2 and parts[1].upper() == "DESC"))
    return orders


def check_fields(value: object, *, entity: Entity) -> dict | list | None:
    if value is None:
        return None
    if isinstance(value, dict):
        names = list(value)
    elif isinstance(value, list) and all(isinstance(name, str) for name in value):
        names = value
    else:
        raise bad_request("INVALID_FILTER", "'fields' must be an object or an array of property names")
    for name in names:
        if name not in entity.fields and name != "score":
            raise bad_request("UNKNOWN_PROPERTY", f"Unknown property '{name}' in fields on {entity.name}")
    return value


def selected_fields(fields: dict | list | None, *, entity: Entity) -> list[str]:
    names = list(entity.fields)
    if fields is None:
        return names
    if isinstance(fields, list):
        return [name for name in names if name in fields]
    if any(bool(flag) for flag in fields.values()):
        return [name for name in names if fields.get(name)]
    return [name for name in names if fields.get(name, True)]


def parse_scope(value: object, *, entity: Entity, depth: int) -> Scope:
    if value is None:
        return Scope(where={}, include=[])
    if not isinstance(value, dict):
        raise bad_request("INVALID_FILTER", f"a scope on {entity.name} must be an object")
    unknown = set(value) - {"where", "include", "fields", "order", "limit", "skip", "offset"}
    if unknown:
        raise bad_request("INVALID_FILTER", f"unknown key(s) {sorted(unknown)} in a scope on {entity.name}")
    where = value.get("where") or {}
    if not isinstance(where, dict):
        raise bad_request("INVALID_FILTER", f"'where' in a scope on {entity.name} must be an object")
    skip = parse_count(value.get("skip", value.get("offset")), name="skip") or 0
    return Scope(
        where=where,
        include=parse_include(value.get("include"), entity=entity, depth=depth + 1),
        fields=check_fields(value.get("fields"), entity=entity),
        order=parse_order(value.get("order"), entity=entity),
        limit=parse_count(value.get("limit"), name="limit"),
        skip=skip,
    )


def parse_include(value: object, *, entity: Entity, depth: int = 1) -> list[IncludeItem]:
    if value is None or value == [] or value == "":
        return []
    if depth > MAX_INCLUDE_DEPTH:
        raise bad_request("INVALID_FILTER", f"include is nested deeper than {MAX_INCLUDE_DEPTH} levels")
    if isinstance(value, str):
        return [_item(value, None, entity=entity, depth=depth)]
    if isinstance(value, dict):
        if "relation" in value:
            return _items_of(value, entity=entity, depth=depth)
        return [_item(name, {"include": nested}, entity=entity, depth=depth) for name, nested in value.items()]
    if isinstance(value, list):
        items: list[IncludeItem] = []
        for element in value:
            items.extend(_items_of(element, entity=entity, depth=depth))
        return items
    raise bad_request("INVALID_FILTER", f"'include' on {entity.name} must be a name, an array or an object")


def _items_of(element: object, *, entity: Entity, depth: int) -> list[IncludeItem]:
    if isinstance(element, str):
        return [_item(element, None, entity=entity, depth=depth)]
    if isinstance(element, dict) and "relation" in element:
        extra = set(element) - {"relation", "scope"}
        if extra:
            raise bad_request("INVALID_FILTER", f"unknown key(s) {sorted(extra)} in an include item")
        return [_item(element["relation"], element.get("scope"), entity=entity, depth=depth)]
    if isinstance(element, dict):
        return [_item(name, {"include": nested}, entity=entity, depth=depth) for name, nested in element.items()]
    raise bad_request("INVALID_FILTER", f"an include item on {entity.name} must be a name or an object")


def _item(relation: object, scope: object, *, entity: Entity, depth: int) -> IncludeItem:
    if not isinstance(relation, str) or relation not in entity.relations:
        raise bad_request("UNKNOWN_RELATION", f"Unknown relation {relation!r} on {entity.name}")
    target = ENTITIES[entity.relations[relation].target]
    return IncludeItem(relation, entity, target, parse_scope(scope, entity=target, depth=depth))


def parse_filter(raw: str | None, *, entity: Entity, query_param: str | None = None) -> Filter:
    value = parse_json(raw, what="filter")
    unknown = set(value) - TOP_LEVEL_KEYS
    if unknown:
        logger.debug("ignoring unknown filter keys %s", sorted(unknown))
    where = value.get("where") or {}
    if not isinstance(where, dict):
        raise bad_request("INVALID_FILTER", "'where' must be a JSON object")
    query = value.get("query")
    if query is not None and not isinstance(query, str):
        raise bad_request("INVALID_FILTER", "'query' must be a string")
    if query is None or not query.strip():
        query = query_param or ""
    skip = value.get("skip") if value.get("skip") is not None else value.get("offset")
    return Filter(
        where=where,
        include=parse_include(value.get("include"), entity=entity),
        order=parse_order(value.get("order"), entity=entity),
        fields=check_fields(value.get("fields"), entity=entity),
        limit=effective_limit(parse_count(value.get("limit"), name="limit")),
        skip=parse_count(skip, name="skip") or 0,
        query=query.strip(),
    )
