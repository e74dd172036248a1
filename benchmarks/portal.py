"""Times the portal's /search with and without facet counts (p50/p95) on a large generated catalogue.

    DATABASE_URL=postgres://…/pc_bench .venv/bin/python benchmarks/portal.py --datasets 1000000 --requests 40

Figures: the results alone, the facet counts computed afresh with an empty cache (what the first visitor of a
search and catalogue version waits for), and the whole page through Django's test client, for that first visitor
(an empty cache) and with the cache as visitors leave it. Fills the database first, with `manage.py
generate_catalogue`, when it holds fewer datasets than asked. Prints one line per scenario; never run as a test.

--visitor: anonymous (default); outsider, signed in with no team; member, signed in on the team of the proposal
with the most embargoed datasets, who sees those beside the open ones. The two signed-in visitors' account is made
once and kept (`bench-visitor`).
"""

import argparse
import gc
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

from django.contrib.auth.models import AnonymousUser, User  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django.test import Client  # noqa: E402

from catalogue import visibility  # noqa: E402
from catalogue.models import Dataset, Document, Member, Person  # noqa: E402
from catalogue.search import datasets  # noqa: E402
from catalogue.search.criteria import SearchQuery  # noqa: E402
from landing.portal import forms, search  # noqa: E402


def scenarios() -> dict[str, str]:
    """Query strings of typical searches; the instrument and year are the catalogue's busiest."""
    busiest = Dataset.objects.values("instrument__pid").annotate(n=Count("pk")).order_by("-n").first()
    year = Dataset.objects.order_by("-creation_time").values_list("creation_time__year", flat=True).first()
    assert busiest is not None and year is not None, "an empty catalogue"
    return {
        "no filter": "",
        "text 'glassy carbon'": "q=glassy+carbon",
        "technique SAS (tree)": "technique=PaNET01124",
        "instrument + year": urlencode({"instrument": busiest["instrument__pid"], "year": year - 2}),
        "temperature < 80 degC": "temperature_max=80&temperature_unit=celsius",
        "temperature 10-80 degC": "temperature_min=10&temperature_max=80&temperature_unit=celsius",
        "text + temperature < 80 degC": "q=glassy+carbon&temperature_max=80&temperature_unit=celsius",
        "text + technique, page 2": "q=carbon&technique=PaNET01188&page=2",
    }


def visitor(kind: str) -> AnonymousUser | User:
    """The visitor the figures are for; a signed-in member joins the team of the proposal with the most embargoed
    datasets."""
    if kind == "anonymous":
        return AnonymousUser()
    user, _ = User.objects.get_or_create(username="bench-visitor")
    person, _ = Person.objects.get_or_create(user=user, defaults={"full_name": "Bench Visitor"})
    Member.objects.filter(person=person).delete()
    if kind == "member":
        busiest = (
            Dataset.objects.exclude(visibility.open_q())
            .values("proposal")
            .annotate(n=Count("pk"))
            .order_by("-n")
            .first()
        )
        assert busiest is not None, "no embargoed dataset in the catalogue"
        Member.objects.create(document_id=busiest["proposal"], person=person, role="bench")
    return user


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed(run, repeats: int) -> tuple[float, float]:
    run()  # warm caches and connections once
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), percentile(samples, 0.95)


def cold(run):
    cache.clear()
    return run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per scenario")
    parser.add_argument("--visitor", choices=("anonymous", "outsider", "member"), default="anonymous")
    arguments = parser.parse_args()

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # production storage needs its manifest
    present = Dataset.objects.count()
    if present < arguments.datasets:
        call_command("generate_catalogue", datasets=arguments.datasets - present)
    open_count = datasets.matching_datasets(user=AnonymousUser(), query=SearchQuery()).count()
    user = visitor(arguments.visitor)
    seen = datasets.matching_datasets(user=user, query=SearchQuery()).count()
    print(
        f"catalogue: {Dataset.objects.count()} datasets ({open_count} open), {Document.objects.count()} documents; "
        f"{arguments.requests} timed requests per scenario, {arguments.visitor} visitor, who sees {seen}\n"
    )
    columns = ["results, no facets", "facet counts (cold)", "GET /search, cold", "GET /search, warm"]
    print(f"{'scenario':30} " + " ".join(f"{column:>22}" for column in columns))
    client = Client()
    if user.is_authenticated:
        client.force_login(user)
    client.get("/search")  # load every view and vocabulary, then freeze them as pancommons/wsgi.py does
    gc.freeze()
    for name, query_string in scenarios().items():
        try:
            query = forms.parse(QueryDict(query_string))
        except forms.BadSearch as error:
            print(f"{name:30} skipped: {error}")
            continue
        try:
            figures = [
                timed(lambda q=query: search.search(user=user, query=q, with_facets=False), arguments.requests),
                timed(lambda q=query: cold(lambda: search.facet_counts(user=user, query=q)), arguments.requests),
                timed(lambda qs=query_string: cold(lambda: client.get(f"/search?{qs}")), arguments.requests),
                timed(lambda qs=query_string: client.get(f"/search?{qs}"), arguments.requests),
            ]
        except search.PageOutOfRange as error:
            print(f"{name:30} skipped: {error}")
            continue
        cells = [f"p50 {p50:6.0f} p95 {p95:6.0f} ms" for p50, p95 in figures]
        print(f"{name:30} " + " ".join(f"{cell:>22}" for cell in cells), flush=True)
    print(
        "\nresults: the page of 20 cards and its count; facet counts (cold): every facet computed afresh; "
        "GET /search, cold: the whole page for the first visitor of a search (an empty cache); "
        "GET /search, warm: the whole page with the anonymous visitors' shared facet groups in the cache."
    )


if __name__ == "__main__":
    main()
