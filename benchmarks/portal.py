"""Times the portal's /search with and without facet counts (p50/p95) on a large generated catalogue.

    DATABASE_URL=postgres://…/pc_bench .venv/bin/python benchmarks/portal.py --datasets 1000000 --requests 40

Figures: the results alone, the facet counts computed afresh (what the first anonymous visitor of a catalogue
version, and every signed-in visitor, waits for), and the whole page once the shared counts are cached.
Fills the database first when it holds fewer datasets than asked: with the search issue's
`manage.py generate_catalogue --datasets N` when that command exists, else with the small SQL generator below
(generate_series: about a minute per million datasets). Prints one line per scenario; never run as a test.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pancommons.settings")

import django

django.setup()

from django.contrib.auth.models import AnonymousUser  # noqa: E402
from django.core.management import call_command, get_commands  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django.test import Client  # noqa: E402

from catalogue import panet  # noqa: E402
from catalogue.models import Dataset, Document, Facility, Instrument, SearchGroup, Technique  # noqa: E402
from catalogue.search import index  # noqa: E402
from catalogue.services.techniques import load_panet  # noqa: E402
from landing.portal import forms, search  # noqa: E402

# Leaf techniques the generated datasets are tagged with (1–2 each); SAXS, SANS and powder XRD among them.
TECHNIQUES = [
    "PaNET01188",
    "PaNET01189",
    "PaNET01101",
    "PaNET01196",
    "PaNET01103",
    "PaNET01204",
    "PaNET01200",
    "PaNET01217",
    "PaNET01128",
    "PaNET01142",
]


def scenarios() -> dict[str, str]:
    """Query strings of typical searches; the instrument and year are the catalogue's busiest."""
    busiest = Dataset.objects.values("instrument__pid").annotate(n=Count("pk")).order_by("-n").first()
    year = Dataset.objects.order_by("-creation_time").values_list("creation_time__year", flat=True).first()
    return {
        "no filter": "",
        "text 'glassy carbon'": "q=glassy+carbon",
        "technique SAS (tree)": "technique=PaNET01124",
        "instrument + year": urlencode({"instrument": busiest["instrument__pid"], "year": year - 2}),
        "temperature < 80 degC": "temperature_max=80&temperature_unit=celsius",
        "text + technique, page 2": "q=carbon&technique=PaNET01188&page=2",
    }


def generate(datasets: int) -> None:
    """A synthetic catalogue: 3 facilities, 24 instruments, a proposal per 50 datasets, 20% under embargo."""
    load_panet(vocabulary=panet.vocabulary())
    facilities = [
        Facility.objects.get_or_create(short_name=name, defaults={"name": f"{name} source", "pid_prefix": "bench"})[0]
        for name in ("BENCH-X", "BENCH-N", "BENCH-M")
    ]
    for number in range(24):
        Instrument.objects.get_or_create(
            pid=f"bench/instrument/bl{number:02d}",
            defaults={"name": f"BL{number:02d}", "facility": facilities[number % 3]},
        )
    technique_ids = list(Technique.objects.filter(panet_id__in=TECHNIQUES).values_list("pk", flat=True))
    proposals = max(1, datasets // 50)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO catalogue_document (kind, pid, proposal_number, facility_id, title, summary, keywords, licence,
                doi_state, withdrawal_reason, funding, open_now, created_at, modified_at, start_date, end_date)
            SELECT 'proposal', 'bench/proposal/' || n, 'BX' || n, (SELECT min(id) FROM catalogue_facility),
                'Proposal ' || n || ': structure of '
                    || (ARRAY['glassy carbon','cement','micelles','proteins'])[1 + n %% 4],
                'Generated for the portal benchmark.', '{}', 'CC-BY-4.0', '', '', '[]', false, now(), now(),
                now() - (n %% 3650) * interval '1 day', now() - (n %% 3650) * interval '1 day'
            FROM generate_series(1, %s) AS n
            """,
            [proposals],
        )
        cursor.execute(
            """
            INSERT INTO catalogue_dataset (pid, title, description, kind, keywords, creation_time, start_time,
                end_time, time_source, size, number_of_files, software_name, software_version, definitions,
                file_format, scientific_metadata, raw_metadata, curated_fields, source_folder, source_path,
                entry_path, ingestion_state, ingested_at, release_date, open_now, withdrawal_reason, view_count,
                download_count, outside_download_count, created_at, modified_at, proposal_id, instrument_id)
            SELECT 'bench/dataset/' || n,
                (ARRAY['Glassy carbon','Cement paste','Micelles','Lysozyme','Silicon standard'])[1 + n %% 5]
                    || ' run ' || n,
                '', 'raw', '{}', t, t, t + interval '1 hour', 'file', 1000 + n %% 100000, 1 + n %% 7, '', '', '{}',
                (ARRAY['NeXus/HDF5','NeXus/HDF5','HDF5','TIFF','CBF'])[1 + (n / 5) %% 5], '{}', '{}', '{}', '', '', '',
                'ingested', t, CASE WHEN n %% 7 = 3 THEN now() + interval '2 years' ELSE t + interval '3 years' END,
                false, '', 0, 0, 0, now(), now(),
                (SELECT min(id) FROM catalogue_document) + n %% %s,
                (SELECT min(id) FROM catalogue_instrument) + n %% 24
            FROM (SELECT n, timestamptz '2012-01-01' + (n %% 4700) * interval '1 day' AS t
                  FROM generate_series(1, %s) AS n) AS generated
            """,
            [proposals, datasets],
        )
        cursor.execute(
            """
            INSERT INTO catalogue_dataset_techniques (dataset_id, technique_id)
            SELECT id, (%s::bigint[])[1 + id %% %s] FROM catalogue_dataset
            UNION ALL
            SELECT id, (%s::bigint[])[1 + (id / 7) %% %s] FROM catalogue_dataset
                WHERE id %% 4 = 0 AND (id / 7) %% %s <> id %% %s
            """,
            [technique_ids, len(technique_ids)] * 2 + [len(technique_ids)] * 2,
        )
        cursor.execute(
            """
            INSERT INTO catalogue_parameter (dataset_id, name, source, raw_value, raw_unit, value_number, unit,
                value_si, unit_si, dimension, is_physical)
            SELECT id, 'sample_temperature', '', (id %% 400)::text, 'K', id %% 400, 'K', id %% 400, 'kelvin',
                '[temperature]', true
            FROM catalogue_dataset WHERE id %% 2 = 0
            """,
            [],
        )
        cursor.execute("ANALYZE")
    index.rebuild(group=SearchGroup.DATASETS, progress=True)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed(run, repeats: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    run()  # warm caches and connections once
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), percentile(samples, 0.95)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per scenario")
    arguments = parser.parse_args()

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # production storage needs its manifest
    present = Dataset.objects.count()
    if present < arguments.datasets:
        started = time.perf_counter()
        if "generate_catalogue" in get_commands():
            call_command("generate_catalogue", datasets=arguments.datasets - present)
            source = "manage.py generate_catalogue"
        else:
            generate(arguments.datasets - present)
            source = "benchmarks/portal.py's own SQL generator (generate_catalogue not available)"
        print(
            f"generated {arguments.datasets - present} datasets in {time.perf_counter() - started:.0f} s with {source}"
        )
    open_count = search.matching_datasets(user=AnonymousUser(), query=search.SearchQuery()).count()
    print(
        f"catalogue: {Dataset.objects.count()} datasets ({open_count} open), {Document.objects.count()} documents; "
        f"{arguments.requests} timed requests per scenario, anonymous visitor\n"
    )
    print(f"{'scenario':28} {'results, no facets':>22} {'facet counts (cold)':>22} {'GET /search, warm':>22}")
    client = Client()
    anonymous = AnonymousUser()
    for name, query_string in scenarios().items():
        try:
            query = forms.parse(QueryDict(query_string))
        except forms.BadSearch as error:
            print(f"{name:28} skipped: {error}")
            continue
        try:
            figures = [
                timed(lambda q=query: search.search(user=anonymous, query=q, with_facets=False), arguments.requests),
                timed(lambda q=query: search.facet_counts(user=anonymous, query=q), arguments.requests),
                timed(lambda qs=query_string: client.get(f"/search?{qs}"), arguments.requests),
            ]
        except search.PageOutOfRange as error:
            print(f"{name:28} skipped: {error}")
            continue
        cells = [f"p50 {p50:6.0f} p95 {p95:6.0f} ms" for p50, p95 in figures]
        print(f"{name:28} {cells[0]:>22} {cells[1]:>22} {cells[2]:>22}", flush=True)
    print(
        "\nresults: the page of 20 cards and its count; facet counts (cold): every facet computed afresh; "
        "GET /search, warm: the whole page with the anonymous visitors' shared facet counts in the cache."
    )


if __name__ == "__main__":
    main()
