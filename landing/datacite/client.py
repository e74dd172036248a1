"""A small client for DataCite's REST API (JSON:API, landing-doi.md §1.5): put a DOI with our XML and an event.

Transient failures (connection errors, 429, 5xx) are retried here with exponential back-off a few times and then
raised as DataciteUnavailable so that the Celery task retries later; DataCite's refusals (401/403/404/409/422) are
raised as DataciteRejected with DataCite's own messages for curators.
"""

import base64
import time
from dataclasses import dataclass
from typing import Any

import requests

JSON_API = "application/vnd.api+json"
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})


class DataciteError(Exception):
    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class DataciteUnavailable(DataciteError):
    """DataCite could not be reached or asked us to come back later: worth retrying."""


class DataciteRejected(DataciteError):
    """DataCite refused the request (bad credentials, foreign prefix, invalid metadata): retrying will not help."""


@dataclass(frozen=True)
class DoiStatus:
    doi: str
    state: str
    url: str | None


class DataciteClient:
    def __init__(
        self,
        *,
        api_url: str,
        username: str,
        password: str,
        timeout: float = 15.0,
        attempts: int = 3,
        backoff_seconds: float = 1.0,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.session = requests.Session()
        self.session.auth = (username, password)
        self.session.headers.update({"Accept": JSON_API, "User-Agent": "PaN-Commons/0.1 (+DataCite REST)"})
        self.timeout = timeout
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds

    def put_doi(self, *, doi: str, xml: bytes, url: str | None, event: str | None) -> DoiStatus:
        """Create or update `doi` with DataCite XML; `event` is publish, register, hide or None (stay as is/draft)."""
        attributes: dict[str, Any] = {"doi": doi, "xml": base64.b64encode(xml).decode("ascii")}
        if url:
            attributes["url"] = url
        if event:
            attributes["event"] = event
        body = {"data": {"id": doi, "type": "dois", "attributes": attributes}}
        return self._status(self._request("PUT", f"/dois/{doi}", json=body))

    def get_doi(self, *, doi: str) -> DoiStatus | None:
        try:
            return self._status(self._request("GET", f"/dois/{doi}"))
        except DataciteRejected as error:
            if error.status == 404:
                return None
            raise

    def _status(self, payload: dict[str, Any]) -> DoiStatus:
        attributes = payload["data"]["attributes"]
        return DoiStatus(doi=attributes["doi"], state=attributes["state"], url=attributes.get("url"))

    def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        headers = {"Content-Type": JSON_API} if "json" in kwargs else {}
        for attempt in range(1, self.attempts + 1):
            try:
                response = self.session.request(
                    method, self.api_url + path, headers=headers, timeout=self.timeout, **kwargs
                )
            except requests.RequestException as error:
                failure: DataciteError = DataciteUnavailable(f"DataCite unreachable: {error}")
                delay = self.backoff_seconds * 2 ** (attempt - 1)
            else:
                if response.status_code < 400:
                    return response.json()
                message = _error_message(response)
                if response.status_code not in TRANSIENT_STATUSES:
                    raise DataciteRejected(message, status=response.status_code)
                failure = DataciteUnavailable(message, status=response.status_code)
                delay = _retry_after(response) or self.backoff_seconds * 2 ** (attempt - 1)
            if attempt < self.attempts:
                time.sleep(delay)
        raise failure


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None


def _error_message(response: requests.Response) -> str:
    """DataCite's JSON:API `errors` list as one readable line, e.g. '422: xml: Missing child element(s)…'."""
    try:
        errors = response.json().get("errors", [])
    except ValueError:
        errors = []
    details = "; ".join(
        f"{error['source']}: {error['title']}" if error.get("source") else str(error.get("title", ""))
        for error in errors
        if isinstance(error, dict)
    )
    return f"DataCite {response.status_code}: {details or response.reason}"
