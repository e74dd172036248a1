"""Operators' logs: a request id on every answer and log record, JSON lines when LOG_FORMAT=json."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings


@pytest.mark.django_db
def test_every_answer_carries_a_request_id_kept_from_the_proxy_when_sane(client):
    made = client.get("/healthz")["X-Request-ID"]
    assert len(made) == 32 and int(made, 16) >= 0
    assert client.get("/healthz")["X-Request-ID"] != made
    assert client.get("/healthz", HTTP_X_REQUEST_ID="edge-7f3a.1")["X-Request-ID"] == "edge-7f3a.1"
    injected = client.get("/healthz", HTTP_X_REQUEST_ID='x" level="CRITICAL')["X-Request-ID"]
    assert len(injected) == 32 and '"' not in injected


def test_json_logs_carry_the_request_id():
    script = (
        "import django; django.setup(); from django.test import Client; "
        "Client(HTTP_HOST='localhost').get('/no-such-page/', HTTP_X_REQUEST_ID='req-42')"
    )
    environment = {**os.environ, "LOG_FORMAT": "json", "DJANGO_SETTINGS_MODULE": "pancommons.settings"}
    result = subprocess.run(
        [sys.executable, "-c", script], env=environment, cwd=settings.BASE_DIR, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    (not_found,) = [record for record in records if record["message"] == "Not Found: /no-such-page/"]
    assert not_found["request_id"] == "req-42"
    assert not_found["level"] == "WARNING" and not_found["logger"] == "django.request"
