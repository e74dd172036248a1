"""Times the REST API's listings (p50/p95 of whole requests) on a large generated catalogue.

    DATABASE_URL=postgres://…/pc_bench .venv/bin/python benchmarks/api.py --requests 10 --visitor member

Each listing's first page (its count included), and the datasets a page deep (offset 100,000), through Django's test
client, beside the facilities' listing (a handful of rows: what a request costs apart from its queries) in the same
run. --visitor as in benchmarks/portal.py (anonymous, outsider or member, the account made once and kept). Prints one
line per listing; never run as a test.
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pancommons.settings")

import django

django.setup()

from django.test import Client  # noqa: E402

from benchmarks.portal import timed, visitor  # noqa: E402
from catalogue.models import Dataset  # noqa: E402

LISTINGS = {
    "facilities (baseline)": "/api/v1/facilities/",
    "datasets": "/api/v1/datasets/",
    "datasets, offset 100,000": "/api/v1/datasets/?offset=100000",
    "documents": "/api/v1/documents/",
    "samples": "/api/v1/samples/",
    "files": "/api/v1/files/",
    "parameters": "/api/v1/parameters/",
    "parameters named sample_temperature": "/api/v1/parameters/?name=sample_temperature",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=10, help="timed requests per listing")
    parser.add_argument("--visitor", choices=("anonymous", "outsider", "member"), default="anonymous")
    arguments = parser.parse_args()
    user = visitor(arguments.visitor)
    client = Client()
    if user.is_authenticated:
        client.force_login(user)
    print(f"catalogue: {Dataset.objects.count()} datasets; {arguments.requests} timed requests, {arguments.visitor}\n")
    for name, url in LISTINGS.items():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.content[:200])
        p50, p95 = timed(lambda url=url: client.get(url), arguments.requests)
        print(f"{name:36} count {response.json()['count']:>9}   p50 {p50:7.0f} ms   p95 {p95:7.0f} ms", flush=True)


if __name__ == "__main__":
    main()
