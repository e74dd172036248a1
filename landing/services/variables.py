"""What was measured, for schema.org `variableMeasured`: the physical parameters, else the NeXus default plot's
signal and axes that ingestion recorded (files without parameters, e.g. reduced SAS curves)."""

from collections.abc import Iterable
from dataclasses import dataclass

from catalogue.models import Dataset, Parameter

MAX_VARIABLES = 50


@dataclass(frozen=True)
class Variable:
    name: str
    unit: str = ""
    description: str = ""


def of_datasets(datasets: Iterable[Dataset]) -> list[Variable]:
    datasets = list(datasets)
    parameters = (
        Parameter.objects.filter(dataset__in=[d.pk for d in datasets], is_physical=True)
        .values_list("name", "unit")
        .distinct()
        .order_by("name")[:MAX_VARIABLES]
    )
    found = [Variable(name=name, unit=unit) for name, unit in parameters]
    if found:
        return found
    plotted: dict[str, Variable] = {}
    for dataset in datasets:
        for field in dataset.scientific_metadata.get("default_plot", []):
            description = f"NeXus {field['role']} {field['path']}"
            if field.get("long_name"):
                description = f"{field['long_name']} ({description})"
            plotted.setdefault(
                field["name"], Variable(name=field["name"], unit=field.get("unit", ""), description=description)
            )
    return list(plotted.values())[:MAX_VARIABLES]
