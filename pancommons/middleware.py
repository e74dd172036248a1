"""Input no view can use, refused at the edge with a 400 that says what is wrong.

Text no record can hold: a NUL character (PostgreSQL text holds none) or a lone UTF-16 surrogate (no UTF-8 encoding
exists) anywhere in the path, the query string, a form or a JSON body; query values that are JSON documents (the
PaNOSC `filter` and `where`) are checked inside too. And an admin action on rows that cannot be the model's.
"""

import json
from collections.abc import Callable, Iterator

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from catalogue.admin import is_value_of
from catalogue.api.parsers import FORM_TYPES


def unstorable_reason(text: str) -> str | None:
    """Why `text` cannot be stored or searched, or None when it can."""
    if "\x00" in text:
        return "contains a NUL character, which no text can hold; remove it and try again"
    for character in text:
        if "\ud800" <= character <= "\udfff":
            code = f"U+{ord(character):04X}"
            return f"contains a lone UTF-16 surrogate ({code}), which is not a character; send valid Unicode"
    return None


def _json_texts(value: object, name: str) -> Iterator[tuple[str, str]]:
    """(where, text) for every key and string in a decoded JSON document; iterative, so any depth json.loads took."""
    stack = [(name, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            yield where, item
        elif isinstance(item, dict):
            for key, child in item.items():
                yield where, key
                stack.append((f"{where}.{key}", child))
        elif isinstance(item, list):
            stack.extend((f"{where}[{index}]", child) for index, child in enumerate(item))


def _json_value(text: str) -> object:
    if not text.lstrip().startswith(("{", "[")):
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None  # not JSON after all; the view says what is wrong with it


def _request_texts(request: HttpRequest) -> Iterator[tuple[str, str]]:
    yield "path", request.path_info
    for name, values in request.GET.lists():
        yield name, name
        for value in values:
            yield name, value
            yield from _json_texts(_json_value(value), name)
    content_type = request.content_type or ""
    if request.method in ("POST", "PUT", "PATCH") and content_type in FORM_TYPES:
        for name, values in request.POST.lists():
            yield name, name
            for value in values:
                yield name, value
    elif content_type == "application/json" or content_type.endswith("+json"):
        yield from _json_texts(_json_value(request.body.decode("utf-8", errors="replace")), "body")


class RefuseUnstorableTextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for name, text in _request_texts(request):
            reason = unstorable_reason(text)
            if reason is not None:
                return _refusal(request, name, f"“{name}” {reason}.")
        return self.get_response(request)


class RefuseUnknownAdminSelectionMiddleware:
    """An admin action posted with a selected row that cannot be one of the model's (`_selected_action=abc`: no
    checkbox of a changelist sends it) is refused: Django's admin filters by the raw values, in every admin, and
    raised ValueError."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable, view_args: tuple, view_kwargs: dict
    ) -> HttpResponse | None:
        model_admin = getattr(view, "model_admin", None)  # Django's admin marks each of a ModelAdmin's views with it
        if model_admin is None or request.method != "POST":
            return None
        options = model_admin.model._meta
        for value in request.POST.getlist(ACTION_CHECKBOX_NAME):
            if not is_value_of(options.pk, value):
                message = (
                    f"The selection holds “{value}”, which is not the id of a {options.verbose_name}: nothing was done."
                )
                return _refusal(request, ACTION_CHECKBOX_NAME, message)
        return None


def _refusal(request: HttpRequest, name: str, message: str) -> HttpResponse:
    """A 400 in the form of the surface asked: LoopBack's for PaNOSC, the REST API's, else a page."""
    if request.path_info.startswith("/panosc-api"):
        from catalogue.panosc.errors import bad_request

        response = JsonResponse(bad_request("INVALID_VALUE", message).body(), status=400)
        # The PaNOSC federation calls from browsers: its errors carry CORS like every other answer (spec §1.5).
        response["Access-Control-Allow-Origin"] = "*"
        return response
    if request.path_info.startswith("/api/"):
        return JsonResponse({"error": {"status": 400, "message": message, "fields": {name: [message]}}}, status=400)
    if "/h5grove/" in request.path_info:  # the viewer's routes answer H5Web in h5grove's JSON form
        return JsonResponse({"message": message}, status=400)
    return render(request, "400.html", {"problems": [message]}, status=400)
