"""The curation admin: every page loads for a steward, bulk actions work, history records who changed what."""

import json
from datetime import UTC, datetime

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from lxml import html

from catalogue.admin import HistoryAdmin
from catalogue.models import (
    AccessGrant,
    AccessRequest,
    Dataset,
    DocumentKind,
    Facility,
    Instrument,
    Proposal,
    RelatedWork,
    Sample,
    SessionMatch,
)
from catalogue.services import dmp, downloads
from ingest.models import IngestionJob
from tests.factories import (
    CollectionFactory,
    DataFileFactory,
    DatasetFactory,
    FacilityFactory,
    InstrumentFactory,
    MemberFactory,
    ParameterFactory,
    ProposalFactory,
    SampleFactory,
    TechniqueFactory,
    UserFactory,
)
from tests.standards import MADMP_EXAMPLES

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue_rows(proposal):
    dataset = DatasetFactory(proposal=proposal, samples=[SampleFactory()], techniques=[TechniqueFactory()])
    DataFileFactory(dataset=dataset)
    ParameterFactory(dataset=dataset)
    MemberFactory(document=proposal)
    CollectionFactory().collected_datasets.add(dataset)
    requester = UserFactory(username="requester")
    AccessGrant.objects.create(document=proposal, user=requester)
    AccessRequest.objects.create(document=proposal, user=requester, reason="to compare with our SANS data")
    RelatedWork.objects.create(document=proposal, identifier="10.1107/S1600577522001234", title="Our paper")
    session = ProposalFactory(kind=DocumentKind.SESSION, title="DMC session 2005-05-27")
    SessionMatch.objects.create(session=session, proposal=proposal, reason="DMC, 2005-05-27 within the proposal")
    dmp.import_plan(document=proposal, data=json.loads((MADMP_EXAMPLES / "ex2-dataset-planned.json").read_text()))
    return dataset


def form_values(form) -> dict:
    """What a browser would post back for an unchanged Django form, multi-widgets (date + time) included."""
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None:
            continue
        widget = field.widget
        if hasattr(widget, "widgets"):
            parts = widget.decompress(value)
            for index, part in enumerate(parts):
                data[f"{form.add_prefix(name)}_{index}"] = "" if part is None else str(part)
        else:
            data[form.add_prefix(name)] = value
    return data


def admin_form_data(page) -> dict:
    data = form_values(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(
            {f"{formset.management_form.prefix}-{key}": value for key, value in formset.management_form.initial.items()}
        )
        for form in formset.forms:
            data.update(form_values(form))
    return data


def catalogue_model_admins():
    return [model for model in admin.site._registry if model._meta.app_label == "catalogue"]


@pytest.mark.parametrize("model", catalogue_model_admins(), ids=lambda m: m.__name__)
def test_steward_can_open_list_add_and_change_pages(model, steward_client, catalogue_rows):
    opts = model._meta
    changelist = steward_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert changelist.status_code == 200
    assert steward_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 200
    row = model.objects.first()
    assert row is not None, f"no {opts.model_name} row to open"
    change = steward_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk]))
    assert change.status_code == 200
    history = steward_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[row.pk]))
    assert history.status_code == 200


def history_admins():
    return [model for model in catalogue_model_admins() if isinstance(admin.site._registry[model], HistoryAdmin)]


@pytest.mark.parametrize("model", history_admins(), ids=lambda m: m.__name__)
def test_history_pages_of_an_id_that_cannot_be_one_are_a_404(model, steward_client, catalogue_rows):
    opts = model._meta
    row = model.objects.first()
    version = model.history.filter(**{opts.pk.attname: row.pk}).latest("history_date").history_id
    view = f"admin:{opts.app_label}_{opts.model_name}_simple_history"
    assert steward_client.get(reverse(view, args=[row.pk, version])).status_code == 200
    for object_id, version_id in (("abc", version), ("ü", version), (row.pk, "abc"), (row.pk, "1.5")):
        assert steward_client.get(reverse(view, args=[object_id, version_id])).status_code == 404
    for object_id in ("abc", "ü", "1.5"):
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[object_id])
        assert steward_client.get(url).status_code == 404, url


def test_changelist_search_and_access_filter_work(steward_client, catalogue_rows):
    embargoed = DatasetFactory(title="Secret kinetics", embargoed=True)
    url = reverse("admin:catalogue_dataset_changelist")
    assert embargoed.title in steward_client.get(url, {"access": "embargoed"}).content.decode()
    assert embargoed.title not in steward_client.get(url, {"access": "open"}).content.decode()
    assert catalogue_rows.title in steward_client.get(url, {"q": catalogue_rows.pid}).content.decode()


def test_outsider_cannot_enter_the_admin(outsider_client):
    response = outsider_client.get(reverse("admin:catalogue_dataset_changelist"))
    assert response.status_code == 302


def test_bulk_open_now_opens_and_is_recorded_in_history(steward_client, steward):
    dataset = DatasetFactory(embargoed=True)
    response = steward_client.post(
        reverse("admin:catalogue_dataset_changelist"),
        {"action": "open_now", "_selected_action": [dataset.pk]},
    )
    assert response.status_code == 302
    dataset.refresh_from_db()
    assert dataset.open_now
    assert dataset.opened_at is not None
    assert Dataset.history.filter(pid=dataset.pid).latest("history_date").history_user == steward


def test_bulk_extend_embargo_renews_and_refuses_open_data(steward_client):
    embargoed = DatasetFactory(embargoed=True)
    already_open = DatasetFactory()
    url = reverse("admin:catalogue_dataset_changelist")
    response = steward_client.post(
        url,
        {
            "action": "extend_embargo",
            "_selected_action": [embargoed.pk, already_open.pk],
            "apply": "1",
            "release_date": "2040-06-30 00:00",
        },
        follow=True,
    )
    embargoed.refresh_from_db()
    assert embargoed.release_date == datetime(2040, 6, 30, tzinfo=UTC)
    assert "open already" in response.content.decode()


def test_bulk_set_release_date_asks_then_moves_an_embargo(steward_client):
    dataset = DatasetFactory(embargoed=True)
    url = reverse("admin:catalogue_dataset_changelist")
    form = steward_client.post(url, {"action": "set_release_date", "_selected_action": [dataset.pk]})
    assert b"release_date" in form.content
    steward_client.post(
        url,
        {
            "action": "set_release_date",
            "_selected_action": [dataset.pk],
            "apply": "1",
            "release_date": "2031-01-31 00:00",
        },
    )
    dataset.refresh_from_db()
    assert dataset.release_date == datetime(2031, 1, 31, tzinfo=UTC)
    assert "release_date_override" in dataset.curated_fields


def test_bulk_set_release_date_leaves_open_data_open(steward_client):
    """Open data stay open (access-policy.md § Embargo): a later release date is refused, not an embargo again."""
    dataset = DatasetFactory()
    opened_on = dataset.release_date
    response = steward_client.post(
        reverse("admin:catalogue_dataset_changelist"),
        {
            "action": "set_release_date",
            "_selected_action": [dataset.pk],
            "apply": "1",
            "release_date": "2031-01-31 00:00",
        },
        follow=True,
    )
    dataset.refresh_from_db()
    assert dataset.release_date == opened_on <= timezone.now()
    assert dataset.release_date_override is None
    assert "open already" in response.content.decode()


def test_change_form_offers_the_release_date_of_embargoed_data_only(steward_client):
    """Open data stay open: an open dataset's change form shows its release date but has no field for it."""
    embargoed, already_open = DatasetFactory(embargoed=True), DatasetFactory()
    for dataset, offered in ((embargoed, True), (already_open, False)):
        page = steward_client.get(reverse("admin:catalogue_dataset_change", args=[dataset.pk])).content.decode()
        assert ('name="release_date_override' in page) is offered, dataset.pid


def test_bulk_add_technique(steward_client):
    dataset = DatasetFactory()
    technique = TechniqueFactory(panet_id="PaNET01189", name="small angle neutron scattering")
    steward_client.post(
        reverse("admin:catalogue_dataset_changelist"),
        {"action": "add_technique", "_selected_action": [dataset.pk], "apply": "1", "technique": technique.pk},
    )
    assert list(dataset.techniques.all()) == [technique]
    dataset.refresh_from_db()
    assert "techniques" in dataset.curated_fields


def test_editing_a_title_in_the_admin_marks_it_curated_and_keeps_history(steward_client, steward):
    dataset = DatasetFactory(title="1  ascan  mr -0.1 0.1 20 1")
    url = reverse("admin:catalogue_dataset_change", args=[dataset.pk])
    data = admin_form_data(steward_client.get(url))
    data.update({"title": "Rocking curve of the Si(111) monochromator", "_save": "Save"})
    response = steward_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    dataset.refresh_from_db()
    assert dataset.title == "Rocking curve of the Si(111) monochromator"
    assert "title" in dataset.curated_fields
    latest = Dataset.history.filter(pid=dataset.pid).latest("history_date")
    assert latest.history_user == steward


@pytest.mark.parametrize(
    ("model", "make", "field", "empty"),
    [
        (Facility, lambda: FacilityFactory(carbon_factors={"power_mw": 12}), "carbon_factors", {}),
        (Dataset, lambda: DatasetFactory(scientific_metadata={"scan": 3}), "scientific_metadata", {}),
        (Proposal, lambda: ProposalFactory(funding=[{"funder_name": "ERC"}]), "funding", []),
        (Sample, lambda: SampleFactory(characteristics={"colour": "red"}), "characteristics", {}),
    ],
    ids=["facility", "dataset", "proposal", "sample"],
)
def test_a_json_box_emptied_on_the_form_saves_the_empty_document(steward_client, model, make, field, empty):
    """Django's form gives None for an emptied box, which a column that takes no NULL refused with a 500."""
    row = make()
    url = reverse(f"admin:catalogue_{model._meta.model_name}_change", args=[row.pk])
    data = admin_form_data(steward_client.get(url))
    data.update({field: "", "_save": "Save"})
    response = steward_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    row.refresh_from_db()
    assert getattr(row, field) == empty


@pytest.mark.parametrize(
    ("model", "make", "field"),
    [
        (Instrument, lambda: InstrumentFactory(), "techniques"),
        (Dataset, lambda: DatasetFactory(), "instrument"),
        (Proposal, lambda: ProposalFactory(), "instruments"),
    ],
    ids=["many-to-many", "foreign key", "proxy's many-to-many"],
)
def test_an_autocomplete_value_that_cannot_be_an_id_shows_the_form_with_its_error(steward_client, model, make, field):
    """No autocomplete widget sends one; Django's widget looked it up again to show the form and raised ValueError."""
    row = make()
    url = reverse(f"admin:catalogue_{model._meta.model_name}_change", args=[row.pk])
    data = admin_form_data(steward_client.get(url))
    data.update({field: "abc", "_save": "Save"})
    response = steward_client.post(url, data)
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors


@pytest.mark.parametrize(
    ("changelist", "make"),
    [
        ("admin:catalogue_dataset_changelist", lambda: DatasetFactory().pk),
        ("admin:ingest_ingestionjob_changelist", lambda: IngestionJob.objects.create(path="/data/a.nxs").pk),
    ],
    ids=["dataset", "ingestion job"],
)
def test_an_action_on_a_row_that_cannot_be_the_models_is_a_400_saying_so(steward_client, changelist, make):
    """No changelist checkbox sends one; Django's admin filtered by it and raised ValueError."""
    url = reverse(changelist)
    real = make()
    for selected in (["abc"], [str(real), "1.5"]):
        response = steward_client.post(url, {"action": "delete_selected", "index": "0", "_selected_action": selected})
        assert response.status_code == 400
        held = selected[-1]
        assert f"The selection holds “{held}”, which is not the id of a" in response.content.decode()
    answer = steward_client.post(url, {"action": "delete_selected", "index": "0", "_selected_action": [str(real)]})
    assert answer.status_code == 200 and "Are you sure" in answer.content.decode()


def test_a_measurement_end_in_year_9999_is_refused_on_the_form(steward_client):
    dataset = DatasetFactory()
    url = reverse("admin:catalogue_dataset_change", args=[dataset.pk])
    data = admin_form_data(steward_client.get(url))
    data.update({"end_time_0": "9999-06-01", "end_time_1": "00:00:00", "_save": "Save"})
    response = steward_client.post(url, data)
    assert response.status_code == 200
    assert "1900–2200" in str(response.context["adminform"].form.errors["end_time"])
    dataset.refresh_from_db()
    assert dataset.end_time.year == 2020


def test_downloads_between_two_edits_are_not_credited_to_the_steward(steward_client, steward, outsider):
    dataset = DatasetFactory(title="1  ascan  mr -0.1 0.1 20 1")
    url = reverse("admin:catalogue_dataset_change", args=[dataset.pk])
    data = admin_form_data(steward_client.get(url))
    downloads.record_download(dataset=dataset, user=outsider)
    data.update({"title": "Rocking curve of the Si(111) monochromator", "_save": "Save"})
    assert steward_client.post(url, data).status_code == 302
    before, edit = Dataset.history.filter(pid=dataset.pid).order_by("history_date")
    assert edit.history_user == steward
    assert [change.field for change in edit.diff_against(before).changes] == ["title"]


def test_history_credits_changes_made_by_no_one_signed_in_to_the_system(steward_client, steward):
    dataset = DatasetFactory(title="1  ascan  mr -0.1 0.1 20 1")  # made by ingestion: no request, no user
    url = reverse("admin:catalogue_dataset_change", args=[dataset.pk])
    data = admin_form_data(steward_client.get(url))
    data.update({"title": "Rocking curve of the Si(111) monochromator", "_save": "Save"})
    assert steward_client.post(url, data).status_code == 302
    page = steward_client.get(reverse("admin:catalogue_dataset_history", args=[dataset.pk])).content
    table = html.fromstring(page).get_element_by_id("change-history")
    column = [th.text_content().strip() for th in table.iterfind("thead/tr/th")].index("Changed by")
    changed_by = [row.findall("td")[column].text_content().strip() for row in table.iterfind("tbody/tr")]
    assert changed_by == [steward.username, "system"]  # newest first
