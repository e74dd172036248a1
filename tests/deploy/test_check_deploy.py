"""`manage.py check --deploy` is clean in a production configuration: no warning Django knows to give."""

import os
import subprocess
import sys

from django.conf import settings


def test_check_deploy_is_clean_in_production():
    environment = {
        # DJANGO_ALLOW_ASYNC_UNSAFE: the browser tests' setting of this process (tests/conftest.py), not a deployment's
        **{
            name: value
            for name, value in os.environ.items()
            if name not in ("DEBUG", "SECURE_COOKIES", "DJANGO_ALLOW_ASYNC_UNSAFE")
        },
        "PRODUCTION": "true",
        "DEBUG": "false",
        "SECRET_KEY": "production-like-" + "k3y" * 20,
        "ALLOWED_HOSTS": "data.example.org",
        "REDIS_URL": settings.REDIS_URL,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_plain_http_is_redirected_but_probes_and_scrapes_are_not(client, settings, db):
    settings.SECURE_SSL_REDIRECT = True  # as with DEBUG off
    answer = client.get("/panosc-api/Datasets")
    assert answer.status_code == 301 and answer["Location"] == "https://testserver/panosc-api/Datasets"
    assert client.get("/panosc-api/Datasets", headers={"X-Forwarded-Proto": "https"}).status_code == 200
    assert client.get("/healthz").status_code in (200, 503)  # answered, never redirected
    assert client.get("/metrics").status_code == 200
