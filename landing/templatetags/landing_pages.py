"""Template filters of the landing pages."""

from django import template

from catalogue import units
from catalogue.models import Parameter
from landing.datacite.metadata import human_size
from landing.services.carbon import format_mass

register = template.Library()


@register.filter
def mass(kg: float) -> str:
    return format_mass(kg)


@register.filter
def bytes_size(size: int | None) -> str:
    return "unknown" if size is None else human_size(size)


@register.filter
def size_for_people(size: str) -> str:
    """A DataCite size as the page shows it: the exact "4112489 bytes" machines compare (metadata._sizes) becomes
    "4.1 MB (4,112,489 bytes)"; any other size is shown as written."""
    number, _, unit = size.partition(" ")
    return f"{human_size(int(number))} ({int(number):,} bytes)" if unit == "bytes" and number.isdigit() else size


@register.filter
def si_value(parameter: Parameter) -> str:
    if parameter.value_si is None:  # a text parameter
        return ""
    return units.format_si(parameter.value_si, parameter.unit_si)
