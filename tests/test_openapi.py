"""The OpenAPI schema describes every response of /api/v1/: schemathesis calls each operation with input the
schema allows (a bounded number of examples), anonymously, and finds no server error, no undocumented status code,
content type or body."""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from pancommons.wsgi import application

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
# Text must be valid Unicode without NUL (documented; pancommons.middleware refuses the rest with a 400).
schema.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE], allow_x00=False, codec="utf-8", max_examples=2, deterministic=True
)


@pytest.fixture(autouse=True)
def one_connection_for_the_test_transaction():
    """As Django's test client does: the WSGI handler would otherwise close the test's connection after a request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_response_is_described_by_the_schema(case):
    case.call_and_validate()
