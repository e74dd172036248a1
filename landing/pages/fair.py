"""FAIR score routes of the landing pages: the JSON export of a dataset's or DOI's score, and members' fixes."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from catalogue import visibility
from catalogue.models import Dataset, Document
from catalogue.services import curation, fair
from landing.services import fair as fair_panels


def _json(body: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def dataset_score(request: HttpRequest, pid: str) -> HttpResponse:
    dataset = Dataset.objects.filter(pid=pid, withdrawn_at__isnull=True).first()
    if dataset is None or not visibility.can_view_dataset(request.user, dataset):
        return _json({"error": "No public dataset has this identifier."}, status=404)
    breakdown = fair.breakdown(fair.stored_dataset_score(dataset))
    if breakdown is None:
        return _json({"error": "This dataset is not scored yet; try again in a minute."}, status=404)
    return _json({"pid": dataset.pid, **breakdown.as_json()})


@require_safe
def document_score(request: HttpRequest, doi: str) -> HttpResponse:
    document = Document.objects.filter(doi__iexact=doi, withdrawn_at__isnull=True).first()
    if document is None or document.pk not in visibility.documents_seen_whole(request.user, [document.pk]):
        return _json({"error": f"No DOI {doi} with a public score is registered here."}, status=404)
    breakdown = fair.breakdown(fair.stored_document_score(document))
    if breakdown is None:
        return _json({"error": "This DOI is not scored yet; try again in a minute."}, status=404)
    return _json({"doi": document.doi, **breakdown.as_json()})


@require_POST
def member_fix(request: HttpRequest, pid: str) -> HttpResponse:
    """A member of the proposal fixes fields of a dataset from its landing page (CSRF-protected form)."""
    dataset = Dataset.objects.select_related("proposal").filter(pid=pid, withdrawn_at__isnull=True).first()
    if dataset is None or not visibility.can_view_dataset(request.user, dataset):
        return render(request, "404.html", {"message": "No such dataset."}, status=404)
    fields = ("title", "description", "keywords", "orcid", "publication")
    changes = {name: request.POST.get(name, "") for name in fields}
    try:
        changed = curation.fix_by_member(dataset=dataset, user=request.user, changes=changes)
    except PermissionError as error:
        return render(request, "404.html", {"message": str(error)}, status=403)
    except curation.CurationError as error:
        context = {
            "dataset": dataset,
            "error": str(error),
            "values": changes,
            **fair_panels.dataset_panel(dataset=dataset, user=request.user),
        }
        return render(request, "landing/pages/fair_fix_error.html", context, status=400)
    messages.success(request, f"Saved: {', '.join(changed)}." if changed else "Nothing changed.")
    return HttpResponseRedirect(reverse("landing-dataset", kwargs={"pid": dataset.pid}) + "#fair", status=303)
