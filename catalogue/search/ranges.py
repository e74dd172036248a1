"""Parameter conditions of a search in SI (PaNOSC spec §4.2): a value compared with a relative tolerance of 1e-9 on
inclusive bounds, read off the facet copy (catalogue.models.facets) for the copied parameters, else off the
parameter rows, where a dataset may also record a range as `<name>_min` / `<name>_max`."""

import time
from dataclasses import dataclass
from typing import Literal

from django.db.models import Exists, OuterRef, Q, QuerySet

from catalogue import units
from catalogue.models import Parameter
from catalogue.models.facets import RANGED_PARAMETERS

RELATIVE_TOLERANCE = 1e-9
Operator = Literal["eq", "between", "lt", "lte", "gt", "gte"]
Side = list[tuple[Operator, float]]  # (lt | lte | gt | gte, SI bound), all of which hold


def tolerance(value: float) -> float:
    return abs(value) * RELATIVE_TOLERANCE


@dataclass(frozen=True)
class Condition:
    """A numeric condition on SI values: one bound (lt, lte, gt, gte) or an interval (eq, between: first..last)."""

    operator: Operator
    first: float
    last: float
    dimension: str  # pint dimensionality of the unit it was written in

    @classmethod
    def written(cls, operator: Operator, values: list[float], unit: str) -> "Condition":
        """From values in a known pint unit (units.query_unit): one, or two for between."""
        first, last = units.to_si(values[0], unit).value, units.to_si(values[-1], unit).value
        return cls(operator, first, last, units.dimension_of(unit))

    @property
    def interval(self) -> tuple[float, float]:
        """The SI values an eq or between accepts, tolerance on inclusive bounds included."""
        return self.first - tolerance(self.first), self.last + tolerance(self.last)

    def q(self, field: str) -> Q:
        """The comparison on a column of SI values."""
        if self.operator in ("eq", "between"):
            lowest, highest = self.interval
            return Q(**{f"{field}__gte": lowest, f"{field}__lte": highest})
        value = self.first
        bound = {"gt": value, "lt": value, "gte": value - tolerance(value), "lte": value + tolerance(value)}
        return Q(**{f"{field}__{self.operator}": bound[self.operator]})

    @property
    def sides(self) -> tuple[Side, Side]:
        """As a range <name>_min..<name>_max: what its minimum and its maximum must meet for a value in it to."""
        if self.operator in ("lt", "lte"):
            return [(self.operator, self.first)], []
        if self.operator in ("gt", "gte"):
            return [], [(self.operator, self.first)]
        return [("lte", self.last)], [("gte", self.first)]


_RANGE_TTL_SECONDS = 60.0
_ranged_names: dict[str, tuple[float, bool]] = {}


def has_range(name: str) -> bool:
    """Whether any dataset records <name>_min (cached: the range branches cost a join on every parameter query).

    A stale "no" can hide a just-recorded range for a minute (parameter saves clear the cache in this process).
    """
    checked = _ranged_names.get(name)
    if checked is None or time.monotonic() - checked[0] > _RANGE_TTL_SECONDS:
        checked = (time.monotonic(), Parameter.objects.filter(name=f"{name}_min").exists())
        _ranged_names[name] = checked
    return checked[1]


def forget_ranges() -> None:
    _ranged_names.clear()


def range_rows_q(name: str, low_side: Side, high_side: Side, *, lookup: str = "value_si", dimension: str = "") -> Q:
    """Rows <name>_min / <name>_max of one dataset that, as a range, meet the sides (both rows must exist)."""

    def holds(side: Side) -> Q:
        q = Q(dimension=dimension) if dimension else Q()
        for operator, bound in side:
            q &= Condition(operator, bound, bound, dimension).q(lookup)
        return q & Q(**{f"{lookup}__isnull": False})

    def partner(partner_name: str, side: Side) -> Exists:
        return Exists(
            Parameter.objects.filter(dataset_id=OuterRef("dataset_id"), name=partner_name).filter(holds(side))
        )

    low, high = f"{name}_min", f"{name}_max"
    return (Q(name=low) & holds(low_side) & partner(high, high_side)) | (
        Q(name=high) & holds(high_side) & partner(low, low_side)
    )


def parameter_rows_q(name: str, condition: Condition) -> Q:
    """Parameter rows named `name` whose SI value meets the condition, or, when some dataset records the parameter
    as a range, its <name>_min / <name>_max rows whose range does."""
    q = Q(name=name) & Q(dimension=condition.dimension, value_si__isnull=False) & condition.q("value_si")
    if has_range(name):
        q |= range_rows_q(name, *condition.sides, dimension=condition.dimension)
    return q


def copied_q(name: str, condition: Condition, *, path: str) -> Q | None:
    """The condition on parameter `name` read off the facet copy, when it is copied in the condition's dimension and
    no dataset records it as a range; None otherwise (the caller asks the parameter rows).

    `path` leads from the filtered rows to their facet row ("facets__" from datasets, "" on facet rows). A dataset
    has a matching row exactly when its lowest (for lt/lte) or highest (gt/gte) SI value compares, or, for eq and
    between, when its one value does; with several values only its rows can tell, and they are asked.
    """
    prefix = next((prefix for prefix, (copied, _) in RANGED_PARAMETERS.items() if copied == name), None)
    if prefix is None or RANGED_PARAMETERS[prefix][1] != condition.dimension or has_range(name):
        return None
    low, high, count = f"{path}{prefix}_low", f"{path}{prefix}_high", f"{path}{prefix}_count"
    if condition.operator in ("lt", "lte"):
        return condition.q(low)
    if condition.operator in ("gt", "gte"):
        return condition.q(high)
    rows = Parameter.objects.filter(parameter_rows_q(name, condition))
    # From datasets, a correlated test, so that PostgreSQL can walk an order and stop at the page. On facet rows
    # (the portal's counts), one uncorrelated set, tested after the count, so that PostgreSQL hashes it only if a
    # dataset has several values: a correlated EXISTS is costed on every row read, which drove a text search's
    # counts onto 84k single-row lookups (380 → 92 ms at 1M for text and a range with both bounds).
    several = Q(Exists(rows.filter(dataset_id=OuterRef("pk")))) if path else Q(pk__in=rows.values("dataset_id"))
    one = Q(**{count: 1}) & condition.q(low)
    # Any accepted value lies at or above the dataset's lowest: a bound an index on the lowest value can stop at,
    # where the OR alone made every row be read (a range with both bounds at 1M: 204 → 70 ms).
    return Q(**{f"{low}__lte": condition.interval[1]}) & (one | (Q(**{f"{count}__gt": 1}) & several))


def range_q(name: str, unit: str, low: float | None, high: float | None) -> Q:
    """Facet rows with a value of parameter `name` between low and high (in `unit` as written, a unit
    units.query_unit knows; either bound may be None), or a `<name>_min`/`<name>_max` range that overlaps them."""
    unit = units.query_unit(unit)
    bounds = [bound for bound in (low, high) if bound is not None]  # one at least (landing/portal/forms.py)
    operator: Operator = "between" if len(bounds) == 2 else "gte" if low is not None else "lte"
    condition = Condition.written(operator, bounds, unit)
    copied = copied_q(name, condition, path="")
    point = copied if copied is not None else Q(Exists(_rows(parameter_rows_q(name, condition))))
    if not has_range(name):  # no dataset records a range: an OR of EXISTS would be probed per row
        return point
    overlap = Q()
    if high is not None:
        overlap &= Q(Exists(_rows(parameter_rows_q(f"{name}_min", Condition.written("lte", [high], unit)))))
    if low is not None:
        overlap &= Q(Exists(_rows(parameter_rows_q(f"{name}_max", Condition.written("gte", [low], unit)))))
    return point | overlap


def _rows(q: Q) -> QuerySet[Parameter]:
    return Parameter.objects.filter(q, dataset_id=OuterRef("pk"))
