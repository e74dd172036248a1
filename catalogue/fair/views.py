"""Stewards' FAIR pages inside the admin: the worklist (best fix per edit first), a fix page per worklist item,
and the facility dashboard with its server-rendered plots. Every view calls services; staff stewards only."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from catalogue import visibility
from catalogue.fair import forms as fair_forms
from catalogue.fair import plots
from catalogue.fair.admin import people_without_orcid
from catalogue.fair.checks import Owner
from catalogue.fair.scoring import CHECKS_BY_KEY
from catalogue.models import Dataset, Document, Facility
from catalogue.services import curation, fair

# The worklist items a steward fixes on the fix page; the others link to the records to edit.
FORM_FIXES = {
    "licence": fair_forms.LicenceForm,
    "keywords": fair_forms.KeywordsForm,
    "publication": fair_forms.PublicationForm,
    "orcid": fair_forms.OrcidForm,
}


def _steward(request: HttpRequest) -> None:
    if not visibility.is_steward(request.user):
        raise PermissionDenied("FAIR curation pages are for data stewards")


def _facility(request: HttpRequest) -> Facility | None:
    short_name = request.GET.get("facility", "")
    if not short_name:
        return None
    facility = Facility.objects.filter(short_name=short_name).first()
    if facility is None:
        raise Http404(f"no facility {short_name!r}")
    return facility


def _edit_url(item: fair.WorkItem) -> str:
    """Where a steward fixes an item: the fix page, or the records to edit one by one."""
    owner = CHECKS_BY_KEY[item.check].owner
    if owner in (Owner.PERSON, Owner.AFFILIATION) and item.lacking is None:  # nobody listed yet: edit the team
        return reverse("admin:catalogue_proposal_change", args=[item.proposal_id])
    if item.check in FORM_FIXES and item.proposal_id:
        return reverse("fair-fix", kwargs={"check": item.check, "proposal_id": item.proposal_id})
    if owner == Owner.INSTRUMENT and item.instrument_id:
        return reverse("admin:catalogue_instrument_change", args=[item.instrument_id])
    if owner == Owner.AFFILIATION:
        return reverse("admin:catalogue_proposal_change", args=[item.proposal_id])
    return reverse("admin:catalogue_dataset_changelist") + f"?proposal__id__exact={item.proposal_id}"


@require_safe
def worklist(request: HttpRequest) -> HttpResponse:
    _steward(request)
    facility = _facility(request)
    items = fair.worklist(facility_id=facility.pk if facility else None, limit=50)
    context = {
        **admin.site.each_context(request),
        "title": "FAIR worklist",
        "items": [(item, _edit_url(item)) for item in items],
        "facility": facility,
        "facilities": Facility.objects.order_by("short_name"),
        "bands": fair.band_counts(facility_id=facility.pk if facility else None),
    }
    return render(request, "admin/fair/worklist.html", context)


def _fix_targets(check: str, proposal: Document) -> tuple[QuerySet, dict]:
    """The records a fix page changes, and the extra keyword arguments of its form."""
    if check == "keywords":
        return Dataset.objects.filter(proposal=proposal), {}
    if check == "orcid":
        return Document.objects.filter(pk=proposal.pk), {
            "people": people_without_orcid(Document.objects.filter(pk=proposal.pk))
        }
    return Document.objects.filter(pk=proposal.pk), {}


@require_http_methods(["GET", "POST"])
def fix(request: HttpRequest, check: str, proposal_id: int) -> HttpResponse:
    _steward(request)
    if check not in FORM_FIXES:
        raise Http404(f"no fix page for {check!r}")
    proposal = get_object_or_404(Document, pk=proposal_id)
    targets, form_kwargs = _fix_targets(check, proposal)
    form = FORM_FIXES[check](request.POST or None, **form_kwargs)
    if request.method == "POST" and form.is_valid():
        data, by = form.cleaned_data, request.user
        try:
            if check == "licence":
                done = curation.set_licence(documents=targets, licence=data["licence"], by=by)
            elif check == "keywords":
                done = curation.add_keywords(datasets=targets, keywords=data["keywords"], by=by)
            elif check == "publication":
                done = curation.link_publication(
                    documents=targets,
                    identifier=data["identifier"],
                    title=data["title"],
                    relation=data["relation"],
                    by=by,
                )
            else:
                done = curation.set_orcids(orcids=form.orcids(), by=by)
        except curation.CurationError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{CHECKS_BY_KEY[check].name}: {done} records changed; scores recomputed.")
            return HttpResponseRedirect(reverse("fair-worklist"), status=303)
    context = {
        **admin.site.each_context(request),
        "title": f"FAIR fix: {CHECKS_BY_KEY[check].name.lower()} of {proposal.proposal_number or proposal.pid}",
        "check": CHECKS_BY_KEY[check],
        "proposal": proposal,
        "datasets": Dataset.objects.filter(proposal=proposal).count(),
        "form": form,
    }
    return render(request, "admin/fair/fix.html", context, status=400 if form.errors else 200)


@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    _steward(request)
    facility = _facility(request)
    query = f"?facility={facility.short_name}" if facility else ""
    context = {
        **admin.site.each_context(request),
        "title": "FAIR dashboard",
        "facility": facility,
        "facilities": Facility.objects.order_by("short_name"),
        "distributions": fair.distributions(facility_id=facility.pk if facility else None),
        "bands": fair.band_counts(facility_id=facility.pk if facility else None),
        "query": query,
    }
    return render(request, "admin/fair/dashboard.html", context)


def _svg(body: bytes) -> HttpResponse:
    response = HttpResponse(body, content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=60"
    return response


@require_safe
def distribution_plot(request: HttpRequest) -> HttpResponse:
    _steward(request)
    facility = _facility(request)
    return _svg(plots.distribution_svg(fair.distributions(facility_id=facility.pk if facility else None)))


@require_safe
def history_plot(request: HttpRequest) -> HttpResponse:
    _steward(request)
    facility = _facility(request)
    return _svg(plots.history_svg(list(fair.snapshots(facility_id=facility.pk if facility else None))))
