"""Logs that operators can follow: every record carries the request id (web) or the task id (workers), and with
LOG_FORMAT=json each record is one JSON object (python-json-logger) for the log collector."""

import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from celery import current_task
from django.core.signals import request_finished, request_started
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
# An id sent by the proxy in front is kept when it looks like one (no log injection); otherwise a new one is made.
_ACCEPTED_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_request_id: ContextVar[str] = ContextVar("request_id", default="")


@receiver(request_started)
def _request_begins(environ: dict[str, str], **_: object) -> None:
    # From the start of the handler to the end of the response, so Django's own "Not Found" lines carry it too.
    offered = environ.get("HTTP_X_REQUEST_ID", "")
    _request_id.set(offered if _ACCEPTED_ID.fullmatch(offered) else uuid.uuid4().hex)


@receiver(request_finished)
def _request_ends(**_: object) -> None:
    _request_id.set("")


class RequestIdMiddleware:
    """Sends the request's id back, so a user's report can be matched with the log records."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = _request_id.get()
        return response


class ContextFilter:
    """Adds `request_id` and, inside a Celery task, `task_id` and `task` to every record."""

    def filter(self, record: object) -> bool:
        record.request_id = _request_id.get()  # type: ignore[attr-defined]  # extra LogRecord fields
        task = current_task
        record.task_id = getattr(task.request, "id", "") if task else ""  # type: ignore[attr-defined]  # extra LogRecord fields
        record.task = task.name if task else ""  # type: ignore[attr-defined]  # extra LogRecord fields
        return True


def logging_config(*, level: str, json_lines: bool) -> dict:
    """The LOGGING setting: one console handler, JSON objects or plain lines, the context on every record."""
    formatter = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(task_id)s %(task)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
        if json_lines
        else {"format": "%(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter}},
        "formatters": {"default": formatter},
        "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["context"], "formatter": "default"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"pgserver": {"level": "WARNING"}},
    }
