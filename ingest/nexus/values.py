"""Normalisers for what NeXus files hold: text in any of its encodings, times in any of their forms.

Every value read from a file goes through `to_text` or `to_number` (nexus-ingestion.md §4.1, §1.5); placeholders and
template text count as missing. Pure Python + numpy.
"""

import math
import re
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

import numpy as np

MAX_TEXT = 4096  # characters kept of any string read for metadata
# Far from datetime's year 1 and 9999, so embargoes and zones always compute; the catalogue's own rule for edits is
# catalogue.models.datasets.MEASUREMENT_YEARS, which this reader may not import.
PLAUSIBLE_YEARS = range(1900, 2201)

# Values writers leave when nobody filled the field in (SOLEIL templates, GDA and areaDetector defaults, APS "nan").
PLACEHOLDERS = frozenset(
    {
        "",
        "default sample",
        "unnamed sample",
        "no sample",
        "nan",
        "none",
        "null",
        "n/a",
        "default",
        "unknown",
        "?",
    }
)
TEMPLATE = re.compile(r"^\{[^{}]*\}\??$")  # "{experiment-type}", "{File name of original NeXus file}"


def decode(raw: bytes) -> str:
    """UTF-8, else Latin-1 (SLS and SOLEIL files write "µm", "°" and "Å" as single Latin-1 bytes)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def scalar(value: object) -> object:
    """Unwrap 0-d and one-element arrays (DLS I16 NX_class, APS 12-ID-B start_time) to their single item."""
    if isinstance(value, np.ndarray):
        if value.size != 1:
            return value
        value = value.reshape(-1)[0]
    if isinstance(value, np.generic):
        return value.item()
    return value


def to_text(value: object, *, keep_placeholders: bool = False) -> str | None:
    """Text of a str, bytes, numpy bytes or a 0-d/1-element array; None when missing or a placeholder."""
    value = scalar(value)
    if value is None:
        return None
    if isinstance(value, bytes):
        text = decode(value)
    elif isinstance(value, np.ndarray):
        if value.dtype.kind not in "SUO":
            return None
        text = " ".join(part for part in (to_text(item, keep_placeholders=True) for item in value.flat[:16]) if part)
    elif isinstance(value, str):
        text = value
    elif isinstance(value, float) and math.isnan(value):
        return None
    else:
        text = str(value)
    text = text.replace("\x00", "").strip()[:MAX_TEXT]
    if keep_placeholders:
        return text or None
    if text.lower() in PLACEHOLDERS or TEMPLATE.match(text):
        return None
    return text


def to_number(value: object) -> float | None:
    """A finite float from a number, a numeric string or a 1-element array; None otherwise."""
    value = scalar(value)
    if isinstance(value, bytes | str):
        text = to_text(value)
        if text is None:
            return None
        try:
            value = float(text)
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


US_ORDER = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")
LONG_FRACTION = re.compile(r"(\.\d{6})\d+")  # SNS writes nanoseconds; keep microseconds
COMPACT_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")  # "-0600" (IPNS, SOLEIL)


class ImplausibleTime(ValueError):
    """A well-formed time no measurement can have (year 9999): the file must be corrected."""


def parse_time(value: object, *, zone: str | tzinfo = "UTC") -> datetime | None:
    """An aware UTC datetime from any NX_DATE_TIME form seen at facilities; naive times are read in `zone`.

    Accepts ISO 8601 with "T" or space, "Z", "+0100" and "+01:00" offsets, nanosecond fractions and the US order
    "04/19/2022 14:41:59" (APS 12-ID-B). Empty strings, placeholders and garbage give None; a time outside
    PLAUSIBLE_YEARS raises ImplausibleTime (an embargo end or a time-zone shift could not even be computed).
    """
    text = to_text(value)
    if text is None:
        return None
    moment = _parse_iso(text) or _parse_us(text)
    if moment is None:
        return None
    if moment.year not in PLAUSIBLE_YEARS:
        first, last = PLAUSIBLE_YEARS[0], PLAUSIBLE_YEARS[-1]
        raise ImplausibleTime(f"the time “{text}” is not a measurement time (the year must lie in {first}–{last})")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone if isinstance(zone, tzinfo) else ZoneInfo(zone))
    return moment.astimezone(UTC)


def _parse_iso(text: str) -> datetime | None:
    candidate = LONG_FRACTION.sub(r"\1", text.strip())
    if candidate.endswith(("Z", "z")):
        candidate = candidate[:-1] + "+00:00"
    candidate = COMPACT_OFFSET.sub(r"\1:\2", candidate) if re.search(r"\d[T ]\d", candidate) else candidate
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        return None


def _parse_us(text: str) -> datetime | None:
    match = US_ORDER.match(text.strip())
    if match is None:
        return None
    month, day, year, hour, minute, second = match.groups()
    try:
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
    except ValueError:
        return None
