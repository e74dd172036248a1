"""Back up a live catalogue with pg_dump and restore it with pg_restore: the restored catalogue answers the same."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from tests.ingest.conftest import ingest, registry  # noqa: F401 (fixtures)

SAMPLES = ["exampledata/PSI_SINQ_DMC_dmc01.h5", "exampledata/APS_9IDC_NXsas_nexus-example.hdf5"]
ANSWERS = [
    "/panosc-api/Datasets?filter=%7B%22include%22%3A%5B%7B%22relation%22%3A%22parameters%22%7D%5D%7D",
    "/panosc-api/Documents",
    "/api/v1/datasets/",
    "/sitemap.xml",
]
# Asks the catalogue at DATABASE_URL the questions above and prints the answers as JSON.
ASK = (
    "import django, json, sys; django.setup(); from django.test import Client; client = Client(HTTP_HOST='localhost'); "
    "print(json.dumps([client.get(url).content.decode() for url in sys.argv[1:]]))"
)


def answers(database_url: str) -> list[str]:
    environment = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "pancommons.settings"}
    result = subprocess.run(
        [sys.executable, "-c", ASK, *ANSWERS], env=environment, cwd=settings.BASE_DIR, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.splitlines()[-1])


def url_of(name: str) -> str:
    database = settings.DATABASES["default"]
    return f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{name}"


@pytest.fixture
def restored_name(transactional_db):
    name = connection.settings_dict["NAME"] + "_restored"
    server = [f"--host={connection.settings_dict['HOST']}", f"--username={connection.settings_dict['USER']}"]
    subprocess.run(["dropdb", "--if-exists", *server, name], check=True)
    yield name, server
    subprocess.run(["dropdb", "--if-exists", *server, name], check=True)


@pytest.mark.slow  # pg_dump and pg_restore into a second database
def test_a_dump_restores_into_a_catalogue_that_answers_the_same(ingest, restored_name, tmp_path):  # noqa: F811
    for sample in SAMPLES:
        assert ingest(sample).state == "succeeded"
    name, server = restored_name
    dump = tmp_path / "catalogue.dump"
    live = connection.settings_dict["NAME"]

    subprocess.run(["pg_dump", *server, "--format=custom", f"--file={dump}", live], check=True)
    subprocess.run(["createdb", *server, name], check=True)
    subprocess.run(["pg_restore", *server, "--exit-on-error", f"--dbname={name}", str(dump)], check=True)

    before, after = answers(url_of(live)), answers(url_of(name))
    assert after == before
    datasets = json.loads(after[0])
    assert len(datasets) == len(SAMPLES) and all(dataset["parameters"] for dataset in datasets)
