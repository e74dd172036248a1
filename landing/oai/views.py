"""/oai: OAI-PMH 2.0 requests by GET or POST (application/x-www-form-urlencoded), answered by landing.oai.provider."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from landing.oai import provider


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def oai_view(request: HttpRequest) -> HttpResponse:
    arguments = request.POST if request.method == "POST" else request.GET
    body = provider.answer(dict(arguments.lists()))
    return HttpResponse(body, content_type="text/xml; charset=utf-8")
