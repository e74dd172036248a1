"""Who and what generated some datasets, for machines (issue 27, PROV-O and PAV): the instruments and facility, the
software, the input datasets of derived data, the measurement and the ingestion that recorded it."""

from dataclasses import dataclass
from datetime import datetime

from django.urls import NoReverseMatch, reverse

from catalogue import visibility
from catalogue.models import Dataset, DatasetKind, Facility, Instrument
from landing.datacite import metadata


@dataclass(frozen=True)
class Agent:
    name: str
    iri: str | None = None
    version: str = ""


@dataclass(frozen=True)
class Provenance:
    instruments: tuple[Agent, ...]
    facility: Agent | None
    software: tuple[Agent, ...]
    inputs: tuple[str, ...]  # IRIs of the input datasets the caller may see
    started: datetime | None
    ended: datetime | None
    ingested: datetime | None  # when ingestion first recorded the data
    derived: bool


def instrument_iri(instrument: Instrument) -> str | None:
    """A registered instrument PID (ESRF's 10.15151/ESRF-INSTR-…) when there is one, else its page here (None while
    the portal's routes are not installed)."""
    if instrument.pid.startswith("10."):
        return metadata.doi_url(instrument.pid)
    try:
        return metadata.site_url(reverse("portal:instrument", kwargs={"pid": instrument.pid}))
    except NoReverseMatch:
        return None


def facility_agent(facility: Facility | None) -> Agent | None:
    if facility is None:
        return None
    return Agent(name=facility.name, iri=facility.ror_id or None)


def of_datasets(datasets: list[Dataset], *, facility: Facility | None, user: visibility.User) -> Provenance:
    """The provenance of one dataset, or of a proposal's visible datasets taken together (inputs held inside the
    same set are not inputs of the whole)."""
    instruments = {d.instrument_id: d.instrument for d in datasets if d.instrument}
    software = {
        (d.software_name, d.software_version): Agent(name=d.software_name, version=d.software_version)
        for d in datasets
        if d.software_name
    }
    ids = {d.pk for d in datasets}
    inputs = (
        visibility.datasets_visible_to(user)
        .filter(derived_datasets__in=ids)
        .exclude(pk__in=ids)
        .distinct()
        .order_by("pid")
    )
    starts = [d.start_time for d in datasets if d.start_time]
    ends = [d.end_time for d in datasets if d.end_time]
    ingested = [d.ingested_at or d.created_at for d in datasets]
    return Provenance(
        instruments=tuple(
            Agent(name=i.name, iri=instrument_iri(i)) for i in sorted(instruments.values(), key=lambda i: i.name)
        ),
        facility=facility_agent(facility),
        software=tuple(software[key] for key in sorted(software)),
        inputs=tuple(metadata.dataset_url(dataset) for dataset in inputs),
        started=min(starts, default=None),
        ended=max(ends, default=None),
        ingested=min(ingested, default=None),
        derived=any(d.kind == DatasetKind.DERIVED for d in datasets),
    )
