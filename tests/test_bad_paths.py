"""Every route answers a NUL byte in its path with a 4xx, never a 500 (PostgreSQL text cannot hold NUL)."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db


def route_templates(patterns=None, prefix: str = "") -> list[str]:
    templates = []
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            templates.extend(route_templates(pattern.url_patterns, route))
        elif isinstance(pattern, URLPattern) and "<" in route and not route.startswith(("admin/", "^")):
            templates.append(route)
    return templates


def with_nul_in_every_parameter(template: str) -> str:
    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: "1" if m.group(1) == "int" else "a%00b", template)


TEXT_PARAMETER_ROUTES = [t for t in route_templates() if "%00" in with_nul_in_every_parameter(t)]


@pytest.mark.parametrize("template", TEXT_PARAMETER_ROUTES)
def test_nul_byte_in_a_path_parameter_is_a_client_error(template, anonymous_client):
    url = with_nul_in_every_parameter(template)
    response = anonymous_client.get(url)
    assert 400 <= response.status_code < 500, (url, response.status_code)


def test_the_refusal_says_why_in_json(anonymous_client):
    response = anonymous_client.get("/api/v1/datasets/a%00b/")
    assert response.status_code == 400
    assert "NUL" in response.json()["error"]["message"]
