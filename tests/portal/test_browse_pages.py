"""Home, browse pages (proposal, instrument, technique), preview thumbnails and similar datasets over HTTP."""

import io
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import override_settings
from PIL import Image

from catalogue.models import Preview
from landing.portal.similar import similar_datasets
from tests.factories import DatasetFactory, MemberFactory, PersonFactory, SampleFactory
from tests.portal.conftest import SAS, SAXS

pytestmark = pytest.mark.django_db


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), "navy").save(buffer, format="PNG")
    return buffer.getvalue()


def test_home_counts_only_open_data(anonymous_client, catalogue):
    response = anonymous_client.get("/")
    assert response.status_code == 200
    summary = response.context["summary"]
    assert (summary.datasets, summary.proposals, summary.instruments, summary.techniques) == (3, 3, 2, 3)
    html = response.content.decode()
    assert "Glassy carbon SAXS calibration" in html
    assert "Unpublished glassy carbon secret" not in html
    assert 'role="search"' in html


def test_proposal_page_shows_team_doi_and_datasets_but_no_email(anonymous_client, catalogue):
    proposal = catalogue.glassy_carbon.proposal
    proposal.doi = "10.5072/pc.mt9396-1"
    proposal.save()
    MemberFactory(document=proposal, person=PersonFactory(full_name="Nora Scientist", email="nora@example.org"))
    response = anonymous_client.get(f"/proposals/{proposal.pid}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nora Scientist" in html and "nora@example.org" not in html
    assert "https://doi.org/10.5072/pc.mt9396-1" in html
    assert "Glassy carbon SAXS calibration" in html


def test_embargoed_proposal_page_is_not_found_for_anonymous_but_shown_to_its_team(
    anonymous_client, member_client, catalogue
):
    pid = catalogue.embargoed.proposal.pid
    assert anonymous_client.get(f"/proposals/{pid}").status_code == 404
    response = member_client.get(f"/proposals/{pid}")
    assert response.status_code == 200
    assert "Unpublished glassy carbon secret" in response.content.decode()


def test_instrument_page_counts_visible_datasets_per_year(anonymous_client, catalogue):
    response = anonymous_client.get(f"/instruments/{catalogue.i22.pid}")
    assert response.status_code == 200
    assert [(year, count) for year, count, _ in response.context["per_year"]] == [(2020, 1), (2021, 1)]
    assert response.context["recent"] == [catalogue.glassy_carbon, catalogue.diffraction]  # newest first
    secret = anonymous_client.get(f"/instruments/{catalogue.secret_beamline.pid}")
    assert secret.status_code == 200  # instruments are public descriptions
    assert secret.context["total"] == 0
    assert "Unpublished" not in secret.content.decode()


def test_technique_page_shows_definition_parents_children_and_descendant_datasets(anonymous_client, catalogue):
    response = anonymous_client.get(f"/techniques/{SAS}")
    assert response.status_code == 200
    assert response.context["total"] == 2
    html = response.content.decode()
    assert f'href="/techniques/{SAXS}"' in html  # narrower
    assert 'href="/techniques/PaNET01037"' in html  # broader: low momentum transfer scattering
    assert f"/search?technique={SAS}" in html
    assert response.context["recent"] == [catalogue.glassy_carbon, catalogue.sans]


def test_browse_pages_list_a_teams_embargoed_datasets_to_the_team_alone(
    anonymous_client, member_client, outsider_client, catalogue
):
    for url in (f"/techniques/{SAS}", f"/instruments/{catalogue.secret_beamline.pid}"):
        assert catalogue.embargoed in member_client.get(url).context["recent"], url
        assert catalogue.embargoed not in outsider_client.get(url).context["recent"], url
        assert catalogue.embargoed not in anonymous_client.get(url).context["recent"], url
    assert catalogue.embargoed not in member_client.get("/").context["recent"]  # the home page shows open data
    secret = f"/instruments/{catalogue.secret_beamline.pid}"
    assert member_client.get(secret).context["total"] == 1
    assert outsider_client.get(secret).context["total"] == anonymous_client.get(secret).context["total"] == 0
    assert member_client.get(f"/techniques/{SAS}").context["total"] == 3  # SAXS, SANS and the team's SAXS


def test_unknown_browse_targets_are_404(anonymous_client, catalogue):
    assert anonymous_client.get("/techniques/PaNET99999").status_code == 404
    assert anonymous_client.get("/instruments/nowhere/bl0").status_code == 404
    assert anonymous_client.get("/proposals/nowhere/p1").status_code == 404
    assert anonymous_client.get(f"/proposals/{catalogue.glassy_carbon.proposal.pid}?page=99").status_code == 404


def test_preview_is_served_for_open_data_and_hidden_for_embargoed(anonymous_client, member_client, catalogue):
    Preview.objects.create(dataset=catalogue.glassy_carbon, png=png_bytes(), width=4, height=3)
    Preview.objects.create(dataset=catalogue.embargoed, png=png_bytes(), width=4, height=3)
    response = anonymous_client.get(f"/datasets/{catalogue.glassy_carbon.pid}/preview.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response.content == png_bytes()
    assert anonymous_client.get(f"/datasets/{catalogue.embargoed.pid}/preview.png").status_code == 404
    assert member_client.get(f"/datasets/{catalogue.embargoed.pid}/preview.png").status_code == 200
    card = anonymous_client.get("/search").content.decode()
    assert f'src="/datasets/{catalogue.glassy_carbon.pid}/preview.png?size=card"' in card


@override_settings(EMBARGOED_METADATA="visible")
def test_preview_stays_closed_under_the_visible_metadata_policy(anonymous_client, catalogue):
    Preview.objects.create(dataset=catalogue.embargoed, png=png_bytes(), width=4, height=3)
    assert anonymous_client.get(f"/datasets/{catalogue.embargoed.pid}/preview.png").status_code == 404


def test_similar_datasets_prefer_the_same_sample_and_never_show_embargoed_or_itself(catalogue, techniques):
    same_sample = DatasetFactory(title="Glassy carbon again", samples=[SampleFactory(name="glassy carbon")])
    shown = similar_datasets(dataset=catalogue.glassy_carbon, user=AnonymousUser())
    titles = [dataset.title for dataset in shown]
    assert titles[0] == "Glassy carbon again"
    assert same_sample in shown
    assert catalogue.glassy_carbon not in shown
    assert catalogue.embargoed not in shown  # same technique and sample words, but under embargo
    assert "Powder diffraction of cement" in titles  # same instrument


def test_similar_datasets_show_embargoed_data_to_its_team_alone(catalogue, member, outsider):
    # The embargoed dataset shares glassy carbon's technique (SAXS): a member of its proposal finds it.
    assert catalogue.embargoed in similar_datasets(dataset=catalogue.glassy_carbon, user=member)
    assert catalogue.embargoed not in similar_datasets(dataset=catalogue.glassy_carbon, user=outsider)


def test_similar_datasets_sharing_only_the_instrument_are_its_newest(catalogue):
    measured = [
        DatasetFactory(instrument=catalogue.i22, title=f"Scan {year}", start_time=datetime(year, 1, 1, tzinfo=UTC))
        for year in range(1990, 2020)
    ]
    # Diffraction shares I22 alone, with glassy carbon (2021) and the scans: the newest of them come first.
    newest = similar_datasets(dataset=catalogue.diffraction, user=AnonymousUser(), limit=6)
    assert newest == [catalogue.glassy_carbon, *measured[::-1][:5]]


def test_similar_datasets_respect_the_limit(catalogue):
    for _ in range(8):
        DatasetFactory(instrument=catalogue.i22)
    assert len(similar_datasets(dataset=catalogue.glassy_carbon, user=AnonymousUser(), limit=3)) == 3


def test_similar_include_template_renders_cards(catalogue):
    similar = similar_datasets(dataset=catalogue.glassy_carbon, user=AnonymousUser())
    html = render_to_string("landing/portal/_similar.html", {"similar": similar})
    assert "Similar datasets" in html and "Powder diffraction of cement" in html
    assert render_to_string("landing/portal/_similar.html", {"similar": []}).strip() == ""
