"""The text and time normalisers every value read from a file goes through, and the table of vocabulary values each
real file holds (read here with h5py alone) against what the PaNOSC API returns for it."""

import json
from datetime import UTC, datetime
from urllib.parse import quote

import h5py
import numpy as np
import pytest

from ingest.nexus.values import parse_time, to_number, to_text
from tests.conftest import SAMPLES_DIR
from tests.ingest.expected import QUANTITIES


@pytest.mark.parametrize(
    "raw, text",
    [
        ("NXentry", "NXentry"),
        (b"NXentry", "NXentry"),
        (np.bytes_(b"NXentry"), "NXentry"),
        (np.array([b"NXentry"]), "NXentry"),
        (np.array(b"NXentry"), "NXentry"),
        (b"\xb5m", "µm"),  # Latin-1 in SLS and SOLEIL files
        ("µm".encode(), "µm"),
        (b"\xc5", "Å"),
        ("  padded\x00\x00", "padded"),
    ],
)
def test_text_comes_out_of_every_string_form(raw, text):
    assert to_text(raw) == text


@pytest.mark.parametrize(
    "placeholder", ["Default Sample", "Unnamed Sample", "No sample", "nan", "", "{experiment-type}", "DEFAULT", "N/A"]
)
def test_placeholders_count_as_missing(placeholder):
    assert to_text(placeholder) is None
    assert to_text(placeholder.encode()) is None


def test_numbers_come_from_scalars_strings_and_one_element_arrays():
    assert to_number(np.float32(2.5)) == 2.5
    assert to_number(np.array([3])) == 3.0
    assert to_number(b"0.85") == 0.85
    assert to_number(float("nan")) is None
    assert to_number("n/a") is None
    assert to_number(np.array([1.0, 2.0])) is None


@pytest.mark.parametrize(
    "raw, zone, expected",
    [
        ("2019-02-14T14:25:57", "Europe/London", datetime(2019, 2, 14, 14, 25, 57, tzinfo=UTC)),
        ("2001-02-07T08:54:21-0600", "UTC", datetime(2001, 2, 7, 14, 54, 21, tzinfo=UTC)),
        ("2008-11-18T12:41:20+0100", "UTC", datetime(2008, 11, 18, 11, 41, 20, tzinfo=UTC)),
        ("2005-05-27 05:48:56", "Europe/Zurich", datetime(2005, 5, 27, 3, 48, 56, tzinfo=UTC)),
        ("2010-12-17 13:39:45", "Australia/Sydney", datetime(2010, 12, 17, 2, 39, 45, tzinfo=UTC)),
        (
            "2021-09-09T09:40:12.425250667-04:00",
            "UTC",
            datetime(2021, 9, 9, 13, 40, 12, 425250, tzinfo=UTC),
        ),
        ("2024-10-28T09:06:41.186Z", "UTC", datetime(2024, 10, 28, 9, 6, 41, 186000, tzinfo=UTC)),
        (np.array([b"04/19/2022 14:41:59"]), "America/Chicago", datetime(2022, 4, 19, 19, 41, 59, tzinfo=UTC)),
        ("2009-02-12 14:58:04-0600", "UTC", datetime(2009, 2, 12, 20, 58, 4, tzinfo=UTC)),
    ],
)
def test_every_time_form_seen_at_facilities_becomes_utc(raw, zone, expected):
    assert parse_time(raw, zone=zone) == expected


@pytest.mark.parametrize("raw", ["", b"", "{Date and time of file creation}", "yesterday", "13/45/2022 10:00:00"])
def test_empty_and_unparseable_times_are_missing(raw):
    assert parse_time(raw) is None


def held(relative: str, path: str) -> tuple[float, str]:
    """The value at `path` (an array by its mean, as NXlog values) and its units attribute, read with h5py alone."""
    with h5py.File(SAMPLES_DIR / relative, "r") as handle:
        dataset = handle[path]
        units = dataset.attrs.get("units", dataset.attrs.get("unit", b""))
        value = float(np.mean(dataset[()]))
    units = units.reshape(-1)[0] if isinstance(units, np.ndarray) else units
    return value, (units.decode("latin-1") if isinstance(units, bytes) else str(units)).strip()


def test_every_vocabulary_value_a_file_holds_comes_out_of_the_api_with_its_unit(ingest, client, settings):
    settings.EMBARGO_PERIOD_YEARS = 0  # open on ingestion, so that the public API shows every file's dataset
    wrong = []
    for relative, quantities in QUANTITIES.items():
        pid = ingest(relative).dataset.pid
        url = f"/panosc-api/Datasets/{quote(pid, safe='')}?filter=" + quote(json.dumps({"include": ["parameters"]}))
        response = client.get(url)
        assert response.status_code == 200, (relative, response.content[:300])
        returned = {row["name"]: (row["value"], row.get("unit", "")) for row in response.json()["parameters"]}
        for name, path in quantities.items():
            value, unit = held(relative, path)
            if name not in returned:
                wrong.append((relative, name, "missing"))
            elif returned[name][0] != pytest.approx(value, rel=1e-9) or returned[name][1] != unit:
                wrong.append((relative, name, returned[name], (value, unit)))
    assert wrong == []
