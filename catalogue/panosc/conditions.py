"""Compiles a LoopBack `where` into Django Q objects: row conditions for most entities (spec §3.2), unit-aware
group conditions for parameters (§4.2) and dataset-level PaNET conditions for techniques (§5.2)."""

import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import cast

from django.db.models import Exists, OuterRef, Q, TextField
from django.db.models.functions import Cast
from django.db.models.lookups import IRegex, Regex

from catalogue import units
from catalogue.models import Dataset
from catalogue.panet import label_key, vocabulary
from catalogue.panosc.entities import Entity
from catalogue.panosc.errors import bad_request
from catalogue.panosc.operators import (
    NEGATIVE,
    OPERATORS,
    check_list,
    pattern_of,
    string_matcher,
)
from catalogue.search import ranges, techniques

logger = logging.getLogger(__name__)

MAX_WHERE_DEPTH = 32
NOTHING = Q(pk__in=[])
# Django drops an empty Q() from an OR (Q(a) | Q() == Q(a)); an always-true branch must be spelled out.
ALWAYS = Q(pk__isnull=False)
IGNORED_KEYS = frozenset({"score", "provider"})
_NUMBER = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")


def all_of(parts: list[Q]) -> Q:
    result = Q()
    for part in parts:
        result &= part
    return result


def any_of(parts: list[Q]) -> Q:
    if not parts:
        return NOTHING
    if any(not part for part in parts):
        return ALWAYS
    result = parts[0]
    for part in parts[1:]:
        result |= part
    return result


def operations(condition: object, *, where: str) -> list[tuple[str, object]]:
    """A condition as (operator, operand) pairs: a literal means eq; several operators are ANDed."""
    if isinstance(condition, dict):
        if not condition:
            raise bad_request("INVALID_OPERAND", f"empty condition on {where}")
        for operator in condition:
            if operator not in OPERATORS:
                raise bad_request("UNKNOWN_OPERATOR", f"Unknown operator '{operator}' on {where}")
        return list(condition.items())
    if isinstance(condition, list):
        raise bad_request("INVALID_OPERAND", f"a condition on {where} cannot be an array (use inq)")
    return [("eq", condition)]


def number_of(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str) and _NUMBER.match(value):
        return float(value)
    return None


def parse_date(value: object, *, where: str) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            parsed = None
        if parsed is not None:  # a date alone is read as its midnight
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise bad_request("INVALID_VALUE", f"{value!r} is not an ISO 8601 date on {where}")


def coerce(kind: str, value: object, *, where: str) -> object:
    """An operand converted to the field's type (spec §3.2.2)."""
    if kind == "string":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            return repr(value) if not value.is_integer() else str(int(value))
        if isinstance(value, str):
            return value
    elif kind in ("integer", "number"):
        number = number_of(value)
        if number is not None:
            return int(number) if kind == "integer" and number.is_integer() else number
    elif kind == "date":
        return parse_date(value, where=where)
    elif kind == "person_id":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        return -1  # not one of ours: matches nothing
    raise bad_request("INVALID_VALUE", f"{value!r} is not a valid {kind} for {where}")


def field_q(lookup: str, kind: str, operator: str, operand: object, *, where: str) -> Q:
    """One operator on one column, with LoopBack's null rules."""
    positive = NEGATIVE.get(operator, operator)
    if operator == "exists":
        if not isinstance(operand, bool):
            raise bad_request("INVALID_OPERAND", f"'exists' on {where} needs true or false")
        return Q(**{f"{lookup}__isnull": not operand})
    if kind == "array":
        return _array_q(lookup, operator, operand, where=where)
    if positive in ("like", "ilike", "regexp"):
        if kind != "string":
            raise bad_request("INVALID_OPERAND", f"'{operator}' needs a string property, not {where}")
        if positive != "regexp" and (not isinstance(operand, str | int | float) or isinstance(operand, bool)):
            raise bad_request("INVALID_OPERAND", f"'{operator}' on {where} needs a string pattern")
        pattern, insensitive = pattern_of(positive, operand, where=where)
        q = Q(**{f"{lookup}__{'iregex' if insensitive else 'regex'}": pattern})
    elif positive == "eq":
        q = Q(**{f"{lookup}__isnull": True}) if operand is None else Q(**{lookup: coerce(kind, operand, where=where)})
        if operator == "neq" and operand is None:
            return Q(**{f"{lookup}__isnull": False})
    elif positive == "inq":
        items = check_list(positive, operand, where=where)
        values = [coerce(kind, item, where=where) for item in items if item is not None]
        q = Q(**{f"{lookup}__in": values}) if values else NOTHING
        if None in items:
            q |= Q(**{f"{lookup}__isnull": True})
    elif positive in ("gt", "gte", "lt", "lte"):
        if operand is None:
            raise bad_request("INVALID_VALUE", f"'{operator}' on {where} needs a value")
        q = Q(**{f"{lookup}__{positive}": coerce(kind, operand, where=where)})
    elif positive == "between":
        low, high = check_list("between", operand, where=where)
        q = Q(**{f"{lookup}__gte": coerce(kind, low, where=where), f"{lookup}__lte": coerce(kind, high, where=where)})
    else:
        raise bad_request("UNKNOWN_OPERATOR", f"Unknown operator '{operator}' on {where}")
    if operator in NEGATIVE:
        return ~q | Q(**{f"{lookup}__isnull": True})
    return q


def _array_q(lookup: str, operator: str, operand: object, *, where: str) -> Q:
    """Array fields (keywords): a positive operator holds if any element does; negations if none does (Mongo)."""
    positive = NEGATIVE.get(operator, operator)
    if positive == "eq":
        q = (
            Q(**{f"{lookup}__contains": [coerce("string", operand, where=where)]})
            if operand is not None
            else Q(**{lookup: []})
        )
    elif positive == "inq":
        items = [coerce("string", item, where=where) for item in check_list("inq", operand, where=where)]
        q = Q(**{f"{lookup}__overlap": items}) if items else NOTHING
    elif positive in ("like", "ilike", "regexp"):
        # Elements joined by a separator that patterns cannot cross, so "any element matches" holds.
        pattern, insensitive = pattern_of(positive, operand, where=where, any_run='[^,{}"]*', one='[^,{}"]')
        q = Q((IRegex if insensitive else Regex)(Cast(lookup, TextField()), pattern))
    else:
        raise bad_request("INVALID_OPERAND", f"'{operator}' cannot be used on the array {where}")
    return ~q if operator in NEGATIVE else q


def _public_q(operator: str, operand: object, *, where: str) -> Q:
    """isPublic is always true here: a condition that holds for true is a no-op, others match nothing."""
    positive = NEGATIVE.get(operator, operator)
    if operator == "exists":
        holds = bool(operand)
    elif positive == "eq":  # true, 1 and "true" in any case
        holds = operand == 1 or (isinstance(operand, str) and operand.lower() == "true")
    elif positive == "inq":
        holds = any(item in (True, "true", 1) for item in check_list("inq", operand, where=where))
    else:
        raise bad_request("INVALID_OPERAND", f"'{operator}' cannot be used on {where}")
    return Q() if holds != (operator in NEGATIVE) else NOTHING


def walk(name: str, where: object, leaf: Callable[[str, object], Q], *, depth: int = 0) -> Q:
    """A `where` on entity `name`: its keys ANDed, and/or arrays compiled in turn, every other key by `leaf`."""
    if not isinstance(where, dict):
        raise bad_request("INVALID_FILTER", f"a where clause on {name} must be an object")
    if depth > MAX_WHERE_DEPTH:
        raise bad_request("INVALID_FILTER", f"where is nested deeper than {MAX_WHERE_DEPTH} levels")
    parts = []
    for key, condition in where.items():
        if key in ("and", "or"):
            if not isinstance(condition, list):
                raise bad_request("INVALID_OPERAND", f"'{key}' on {name} needs an array")
            clauses = [walk(name, clause, leaf, depth=depth + 1) for clause in condition]
            parts.append(all_of(clauses) if key == "and" else any_of(clauses))
        elif key not in IGNORED_KEYS:
            parts.append(leaf(key, condition))
    return all_of(parts)


def where_q(entity: Entity, where: object) -> Q:
    """Row condition of a `where` on an entity (techniques are judged per dataset: see technique_where)."""
    if entity.name == "Parameter":
        return parameter_where(where).q

    def leaf(key: str, condition: object) -> Q:
        if key == "text":
            return text_q(entity, condition)
        if key not in entity.fields:
            raise bad_request("UNKNOWN_PROPERTY", f"Unknown property '{key}' on {entity.name}")
        spec, where = entity.fields[key], f"{entity.name}.{key}"
        return all_of(
            [
                _public_q(op, operand, where=where)
                if spec.kind == "public"
                else field_q(spec.lookup, spec.kind, op, operand, where=where)
                for op, operand in operations(condition, where=where)
            ]
        )

    return walk(entity.name, where, leaf)


def text_q(entity: Entity, text: object) -> Q:
    """`text`: case-insensitive substring over the entity's text fields; % and _ are literal (spec §3.2.3)."""
    if not isinstance(text, str | int | float) or isinstance(text, bool):
        raise bad_request("INVALID_OPERAND", f"'text' on {entity.name} needs a string")
    if not entity.text_fields:
        return Q()
    return any_of([Q(**{f"{lookup}__icontains": str(text)}) for lookup in entity.text_fields])


# --- Parameters (spec §4.2) -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitGroup:
    q: Q
    written: str  # the query's unit, as the client wrote it (sent back with converted values)
    unit: str  # its pint form


@dataclass
class ParameterWhere:
    q: Q
    unit_groups: list[UnitGroup] = field(default_factory=list)
    # One numeric comparison with a unit on one named parameter, and no more: what the facet copy can answer.
    copied: tuple[str, ranges.Condition] | None = None


def parameter_where(where: object, *, depth: int = 0) -> ParameterWhere:
    if not isinstance(where, dict):
        raise bad_request("INVALID_FILTER", "a where clause on Parameter must be an object")
    leaves: list[tuple[str, object]] = []
    alternatives: list[list] = []
    _flatten(where, leaves, alternatives, depth)
    compiled = _group(leaves)
    for branches in alternatives:
        options = [parameter_where(branch, depth=depth + 1) for branch in branches]
        compiled.q &= any_of([option.q for option in options])
        compiled.unit_groups.extend(group for option in options for group in option.unit_groups)
        compiled.copied = None
    return compiled


def _flatten(where: dict, leaves: list, alternatives: list, depth: int) -> None:
    """An and-list (or several keys) is one row condition; each or-branch is its own group."""
    if depth > MAX_WHERE_DEPTH:
        raise bad_request("INVALID_FILTER", f"where is nested deeper than {MAX_WHERE_DEPTH} levels")
    for key, condition in where.items():
        if key in ("and", "or"):
            if not isinstance(condition, list) or not all(isinstance(item, dict) for item in condition):
                raise bad_request("INVALID_OPERAND", f"'{key}' on Parameter needs an array of objects")
            if key == "or":
                alternatives.append(condition)
            else:
                for clause in condition:
                    _flatten(clause, leaves, alternatives, depth + 1)
        elif key == "text" or key in IGNORED_KEYS:
            continue
        elif key in ("id", "name", "value", "unit"):
            leaves.append((key, condition))
        else:
            raise bad_request("UNKNOWN_PROPERTY", f"Unknown property '{key}' on Parameter")


def _plain_unit(condition: object) -> str | None:
    if isinstance(condition, str):
        return condition
    if isinstance(condition, dict) and set(condition) == {"eq"} and isinstance(condition["eq"], str):
        return condition["eq"]
    return None


def query_unit(written: str) -> str:
    try:
        return units.query_unit(written)
    except units.UnknownUnit:
        raise bad_request("UNKNOWN_UNIT", f"Unknown unit {written!r} in a parameter condition") from None


def _check_named_units(operator: str, operand: object) -> None:
    """One rule with the portal: a unit named in a query must be one we know (a pattern names none)."""
    if operator in ("eq", "neq", "inq", "nin"):
        for written in operand if isinstance(operand, list) else [operand]:
            if isinstance(written, str):
                query_unit(written)


def _group(leaves: list[tuple[str, object]]) -> ParameterWhere:
    """One row condition; a plain unit beside a value clause sets the unit of the value's operands."""
    has_value = any(key == "value" for key, _ in leaves)
    plain = [unit for key, condition in leaves if key == "unit" and (unit := _plain_unit(condition)) is not None]
    named = [(unit, query_unit(unit)) for unit in plain]  # every unit named must be known, used or not
    context = named[0] if has_value and named else None
    parts: list[Q] = []
    for key, condition in leaves:
        where = f"Parameter.{key}"
        written = _plain_unit(condition) if key == "unit" else None
        if written is not None:
            if not has_value:
                parts.append(Q(dimension=units.dimension_of(query_unit(written)), value_si__isnull=False))
            continue
        for op, operand in operations(condition, where=where):
            if key == "value":
                parts.append(_value_q(op, operand, context))
            else:
                if key == "unit":
                    _check_named_units(op, operand)
                parts.append(field_q(key, "integer" if key == "id" else "string", op, operand, where=where))
    q = all_of(parts)
    ranged = _range_q(leaves, context)
    if ranged is not None:
        q |= ranged
    return ParameterWhere(q, [UnitGroup(q, *context)] if context else [], _copied(leaves, context))


def _copied(leaves: list[tuple[str, object]], context: tuple[str, str] | None) -> tuple[str, ranges.Condition] | None:
    given = dict(leaves)
    if context is None or sorted(key for key, _ in leaves) != ["name", "unit", "value"]:
        return None
    name, comparisons = _plain_unit(given["name"]), operations(given["value"], where="Parameter.value")
    operator, operand = comparisons[0]
    if name is None or len(comparisons) != 1 or operator not in ("eq", "lt", "lte", "gt", "gte", "between"):
        return None
    if not _numeric_operands(operator, operand, where="Parameter.value"):
        return None
    return name, _si_condition(operator, operand, context[1], where="Parameter.value")


def _range_q(leaves: list[tuple[str, object]], context: tuple[str, str] | None) -> Q | None:
    """Rows <name>_min / <name>_max of one dataset that, as a range, satisfy the value condition (spec §4.2)."""
    names = [condition for key, condition in leaves if key == "name"]
    values = [condition for key, condition in leaves if key == "value"]
    others = [key for key, condition in leaves if key not in ("name", "value") and _plain_unit(condition) is None]
    name = _plain_unit(names[0]) if len(names) == 1 else None
    if name is None or not values or others or not ranges.has_range(name):
        return None
    low_side: ranges.Side = []  # conditions on the range's minimum
    high_side: ranges.Side = []  # and on its maximum
    for condition in values:
        for operator, operand in operations(condition, where="Parameter.value"):
            items = check_list(operator, operand, where="Parameter.value") if operator == "between" else [operand]
            bounds = [number_of(item) for item in items]
            if operator not in ("eq", "between", "lt", "lte", "gt", "gte") or None in bounds:
                return None
            si = [units.to_si(bound, context[1]).value if context else bound for bound in bounds if bound is not None]
            low, high = ranges.Condition(cast(ranges.Operator, operator), si[0], si[-1], "").sides
            low_side += low
            high_side += high
    lookup, dimension = ("value_si", units.dimension_of(context[1])) if context else ("value_number", "")
    return ranges.range_rows_q(name, low_side, high_side, lookup=lookup, dimension=dimension)


def _value_q(operator: str, operand: object, context: tuple[str, str] | None) -> Q:
    where = "Parameter.value"
    positive = NEGATIVE.get(operator, operator)
    if operator == "exists":
        q = Q(value_number__isnull=False) | Q(value_text__isnull=False)
        return q if operand else ~q
    if positive in ("like", "ilike", "regexp"):
        pattern, insensitive = pattern_of(positive, operand, where=where)
        lookup = IRegex if insensitive else Regex
        q = Q(lookup(Cast("value_text", TextField()), pattern)) | Q(
            value_number__isnull=False, **{"value_text__isnull": True}
        ) & Q(lookup(Cast("value_number", TextField()), pattern))
    elif context is not None and _numeric_operands(positive, operand, where=where):
        q = _si_q(positive, operand, context[1], where=where)
    else:
        q = _raw_q(positive, operand, where=where)
    return ~q if operator in NEGATIVE else q


def _numeric_operands(positive: str, operand: object, *, where: str) -> bool:
    if positive in ("between", "inq"):
        return all(number_of(item) is not None for item in check_list(positive, operand, where=where))
    return number_of(operand) is not None


def _si_q(positive: str, operand: object, unit: str, *, where: str) -> Q:
    """Compare in SI with a relative tolerance of 1e-9 on inclusive bounds (spec §4.2)."""
    same_dimension = Q(dimension=units.dimension_of(unit), value_si__isnull=False)
    operator, operands = ("eq", check_list("inq", operand, where=where)) if positive == "inq" else (positive, [operand])
    conditions = [_si_condition(operator, item, unit, where=where) for item in operands]
    return same_dimension & any_of([condition.q("value_si") for condition in conditions])


def _si_condition(positive: str, operand: object, unit: str, *, where: str) -> ranges.Condition:
    items = check_list("between", operand, where=where) if positive == "between" else [operand]
    numbers = [number for number in map(number_of, items) if number is not None]  # all are: _numeric_operands
    return ranges.Condition.written(cast(ranges.Operator, positive), numbers, unit)


def copied_parameter_q(where: object, *, path: str) -> Q | None:
    """The parameter condition `where` read off the facet copy (catalogue.search.ranges.copied_q) when it is one
    numeric comparison with a unit on one parameter; None otherwise (the caller joins the parameter rows)."""
    copied = parameter_where(where).copied if isinstance(where, dict) else None
    return ranges.copied_q(*copied, path=path) if copied else None


def _raw_q(positive: str, operand: object, *, where: str) -> Q:
    """No unit context: numbers compare with numbers as stored, strings with strings (the reference behaviour)."""
    if positive == "eq":
        if operand is None:
            return Q(value_number__isnull=True, value_text__isnull=True)
        if isinstance(operand, bool):
            return Q(value_text="true" if operand else "false")
        number = number_of(operand)
        if isinstance(operand, str):
            q = Q(value_text=operand)
            return q | Q(value_number=number) if number is not None else q
        if number is None:
            raise bad_request("INVALID_VALUE", f"{operand!r} is not a valid value for {where}")
        return Q(value_number=number)
    if positive == "inq":
        return any_of([_raw_q("eq", item, where=where) for item in check_list("inq", operand, where=where)])
    if positive == "between":
        low, high = check_list("between", operand, where=where)
        if number_of(low) is not None and number_of(high) is not None:
            return Q(value_number__gte=number_of(low), value_number__lte=number_of(high))
        return Q(value_text__gte=str(low), value_text__lte=str(high))
    if positive in ("gt", "gte", "lt", "lte"):
        if operand is None or isinstance(operand, dict | list):
            raise bad_request("INVALID_VALUE", f"'{positive}' on {where} needs a number or a string")
        number = number_of(operand)
        if number is not None:
            return Q(**{f"value_number__{positive}": number})
        return Q(**{f"value_text__{positive}": str(operand)})
    raise bad_request("UNKNOWN_OPERATOR", f"Unknown operator '{positive}' on {where}")


# --- Techniques (spec §5.2) -------------------------------------------------------------------------------------


@dataclass
class TechniqueWhere:
    dataset_q: Q  # on Dataset rows
    output_q: Q | None  # on Technique rows: what to send under `techniques`; None: all of the dataset's


def _toggle_technique_suffix(key: str) -> str:
    return key[: -len(" technique")] if key.endswith(" technique") else key + " technique"


def resolve_terms(key: str, positive: str, operand: object) -> set[str]:
    """The PaNET ids M whose PURL (pid/panetId) or label/synonym (name) satisfy the positive form of a leaf."""
    terms = vocabulary().terms.values()
    where = f"Technique.{key}"
    if key in ("pid", "panetId"):
        if positive in ("eq", "inq"):
            items = [operand] if positive == "eq" else check_list("inq", operand, where=where)
            ids = {techniques.normalise_panet_id(item) for item in items} - {None}
            return {term_id for term_id in ids if term_id in vocabulary().terms}
        matches = string_matcher(positive, operand, where=where)
        return {term.id for term in terms if matches(term.purl)}
    if positive in ("eq", "inq"):
        items = [operand] if positive == "eq" else check_list("inq", operand, where=where)
        keys = {label_key(str(item)) for item in items if item is not None}
        found = set().union(*(vocabulary().labelled(key_text) for key_text in keys))
        if not found:
            # Labels change between PaNET versions ("x-ray probe" is now "x-ray probe technique").
            found = set().union(*(vocabulary().labelled(_toggle_technique_suffix(key_text)) for key_text in keys))
        if not found:
            logger.info("technique name %r matches no PaNET term", operand)
        return found
    matches = string_matcher(positive, operand, where=where)
    return {term.id for term in terms if any(matches(label) for label in (term.label, *term.alt_labels))}


def _technique_rows_q(key: str, positive: str, operand: object) -> Q:
    """Technique rows in E (the descendants of the matched terms) plus local techniques matching directly."""
    lookup = "pid" if key in ("pid", "panetId") else "name"
    if positive in ("eq", "inq") and lookup == "name":
        items = [operand] if positive == "eq" else check_list("inq", operand, where="Technique.name")
        local = any_of([Q(name__iexact=str(item)) for item in items if item is not None])
    else:
        local = field_q(lookup, "string", positive, operand, where=f"Technique.{key}")
    return techniques.expanded(resolve_terms(key, positive, operand), local)


def technique_where(where: object) -> TechniqueWhere:
    positives: list[Q] = []

    def leaf(key: str, condition: object) -> Q:
        if key == "text":
            return compare("name", "ilike", "%" + re.sub(r"([\\%_])", r"\\\1", str(condition)) + "%")
        if key not in ("pid", "panetId", "name"):
            raise bad_request("UNKNOWN_PROPERTY", f"Unknown property '{key}' on Technique")
        return all_of([compare(key, op, operand) for op, operand in operations(condition, where=f"Technique.{key}")])

    def compare(key: str, operator: str, operand: object) -> Q:
        has_any = Q(Exists(Dataset.techniques.through.objects.filter(dataset_id=OuterRef("pk"))))
        if operator == "exists":
            return has_any if operand else ~has_any
        rows = _technique_rows_q(key, NEGATIVE.get(operator, operator), operand)
        if operator in NEGATIVE:
            return has_any & ~techniques.datasets_q(rows)
        positives.append(rows)
        return techniques.datasets_q(rows)

    dataset_q = walk("Technique", where, leaf)
    return TechniqueWhere(dataset_q, any_of(positives) if positives else None)
