"""Access requests (ask, list, decide) and the PI's "open now" on embargoed proposals."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from catalogue import visibility
from catalogue.models import AccessRequest, Document, DocumentKind
from catalogue.services import access_requests, opening
from landing.access.forms import AccessRequestForm, DecisionForm


def _requestable_document(request: HttpRequest, pid: str) -> Document | None:
    """The proposal behind a pid, if the caller may know it exists: its DOI page is public, or the caller sees it."""
    document = Document.objects.exclude(kind=DocumentKind.COLLECTION).filter(pid=pid).first()
    if document is None or document.withdrawn_at is not None:
        return None
    if document.doi or visibility.can_view_document(request.user, document):
        return document
    return None


@require_http_methods(["GET", "HEAD", "POST"])
def request_access(request: HttpRequest, pid: str) -> HttpResponseBase:
    document = _requestable_document(request, pid)
    if document is None:
        return render(request, "landing/access/not_available.html", status=404)
    guest = not request.user.is_authenticated
    form = AccessRequestForm(request.POST or None, guest=guest)
    context = {"document": document, "form": form, "requestable": access_requests.requestable(document)}
    if request.method == "POST" and form.is_valid():
        try:
            access_requests.submit(
                document=document,
                reason=form.cleaned_data["reason"],
                user=request.user,
                guest_name=form.cleaned_data.get("guest_name", ""),
                guest_email=form.cleaned_data.get("guest_email", ""),
            )
        except access_requests.AccessRequestError as error:
            form.add_error(None, str(error))
            return render(request, "landing/access/request.html", context, status=400)
        return render(request, "landing/access/request_sent.html", context)
    return render(request, "landing/access/request.html", context, status=400 if request.method == "POST" else 200)


@login_required
def pending_requests(request: HttpRequest) -> HttpResponse:
    """The requests the caller may decide: all for stewards, their own proposals' for PIs."""
    pending = AccessRequest.objects.filter(state=AccessRequest.State.PENDING).select_related("document", "user")
    assert request.user.is_authenticated  # login_required
    if not visibility.is_steward(request.user):
        pending = pending.filter(
            document__members__person__user=request.user,
            document__members__role__iregex=r"^(" + "|".join(opening.PI_ROLES) + r")$",
        ).distinct()
    return render(request, "landing/access/requests.html", {"pending": pending})


@login_required
@require_http_methods(["GET", "POST"])
def decide_request(request: HttpRequest, request_id: int) -> HttpResponseBase:
    access_request = get_object_or_404(AccessRequest.objects.select_related("document", "user"), pk=request_id)
    if not access_requests.may_decide(request.user, access_request.document):
        return render(
            request,
            "landing/access/not_available.html",
            {"reason": "Only the principal investigator of the proposal or a data steward can decide on this request."},
            status=403,
        )
    form = DecisionForm(request.POST or None)
    context = {"access_request": access_request, "form": form}
    if request.method == "POST" and form.is_valid():
        try:
            access_requests.decide(
                access_request=access_request,
                by=request.user,
                grant=form.cleaned_data["decision"] == "grant",
                expires_at=form.expires_at(),
                note=form.cleaned_data["note"],
            )
        except access_requests.AccessRequestError as error:
            form.add_error(None, str(error))
            return render(request, "landing/access/decide.html", context, status=409)
        messages.success(request, f"Request {access_request.pk} is now {access_request.get_state_display()}.")
        return redirect("access-requests")
    return render(request, "landing/access/decide.html", context, status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def open_early(request: HttpRequest, pid: str) -> HttpResponseBase:
    """The PI (or a steward) lifts the embargo of a whole proposal before its release date."""
    document = get_object_or_404(Document.objects.exclude(kind=DocumentKind.COLLECTION), pid=pid)
    if not (visibility.is_steward(request.user) or opening.is_principal_investigator(request.user, document)):
        return render(
            request,
            "landing/access/not_available.html",
            {"reason": "Only the principal investigator of the proposal or a data steward can open its data early."},
            status=403,
        )
    if request.method == "POST":
        try:
            opening.open_now(document, by=request.user)
        except opening.EmbargoError as error:
            return render(
                request, "landing/access/open_early.html", {"document": document, "error": str(error)}, status=409
            )
        return render(request, "landing/access/open_early.html", {"document": document, "done": True})
    return render(
        request, "landing/access/open_early.html", {"document": document, "open": visibility.is_open(document)}
    )
