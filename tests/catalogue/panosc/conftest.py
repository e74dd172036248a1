"""Helpers for the PaNOSC API tests: requests with JSON filters, the reference fixture loaded and indexed."""

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

from catalogue.models import SearchGroup
from catalogue.panosc.fixture import load_reference_fixture
from catalogue.search import index
from tests.conftest import shared_rows

FIXTURE = Path(settings.BASE_DIR) / "catalogue" / "panosc" / "data" / "reference-db.json"
DATA = Path(__file__).parent / "data"


def encoded(value: object) -> str:
    return quote(value if isinstance(value, str) else json.dumps(value), safe="")


class Api:
    """GETs under /panosc-api with `filter`/`where` given as Python objects (sent URL-encoded, as clients do)."""

    def __init__(self, client) -> None:
        self.client = client

    def get(self, path: str, *, filter: object = None, where: object = None, query: str | None = None, **extra):
        params = []
        if filter is not None:
            params.append("filter=" + encoded(filter))
        if where is not None:
            params.append("where=" + encoded(where))
        if query is not None:
            params.append("query=" + quote(query))
        url = "/panosc-api" + path + ("?" + "&".join(params) if params else "")
        return self.client.get(url, **extra)

    def json(self, path: str, *, status: int = 200, **kwargs):
        response = self.get(path, **kwargs)
        assert response.status_code == status, response.content[:2000]
        assert response["Content-Type"] == "application/json; charset=utf-8"
        return response.json()


@pytest.fixture
def api(client) -> Api:
    return Api(client)


def rebuild_index() -> None:
    for group in SearchGroup:
        index.rebuild(group=group)


@pytest.fixture(scope="module")
def _reference_catalogue_of_module(django_db_setup, django_db_blocker) -> Iterator[None]:
    """The reference fixture loaded and indexed once per test module (tests.conftest.shared_rows)."""
    with shared_rows(django_db_blocker):
        load_reference_fixture(path=FIXTURE)
        rebuild_index()
        yield


@pytest.fixture
def reference_catalogue(_reference_catalogue_of_module, db) -> None:
    """The reference fixture, loaded and indexed."""
