"""One branded 404 and one branded 500 page, also with DEBUG on (as in `make demo`) on public pages; a favicon."""

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from pancommons.urls import urlpatterns as site_urlpatterns


def broken_page(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug in a page")


urlpatterns = [path("broken", broken_page), *site_urlpatterns]


@pytest.fixture(params=[True, False], ids=["debug", "production"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/no-such-page", "/datasets/no/such/pid"])
def test_pages_not_found_are_the_sites_own(anonymous_client, debug, url):
    response = anonymous_client.get(url)
    assert response.status_code == 404
    page = response.content.decode()
    assert "<h1>Not found</h1>" in page and "Search the open data" in page
    assert 'class="site-header"' in page and "URLconf" not in page


@pytest.mark.django_db
def test_a_failing_page_is_the_sites_own_500(debug, settings):
    settings.ROOT_URLCONF = __name__
    response = Client(raise_request_exception=False).get("/broken")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page and "RuntimeError" not in page


@pytest.mark.django_db
def test_the_admin_keeps_djangos_debug_page(anonymous_client, settings):
    settings.DEBUG = True
    assert "Search the open data" not in anonymous_client.get("/admin/no-such-page/").content.decode()


@pytest.mark.django_db
def test_every_page_names_a_favicon_and_favicon_ico_leads_to_it(anonymous_client):
    assert 'rel="icon"' in anonymous_client.get("/").content.decode()
    redirect = anonymous_client.get("/favicon.ico")
    assert redirect.status_code == 302 and redirect["Location"].endswith("favicon.svg")
    assert anonymous_client.get(redirect["Location"]).status_code == 200
