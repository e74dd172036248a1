"""A faithful local fake of DataCite's REST API (landing-doi.md §1.5), served over real HTTP on 127.0.0.1.

It checks Basic auth and the repository's prefixes, validates the base64 XML against the DataCite 4.7 XSD, applies
the publish/register/hide events with DataCite's state rules, restricts landing-page domains, answers JSON:API
errors (401, 403, 404, 415, 422), and can be told to fail the next requests (503 outage, 429 rate limit).
"""

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlparse

from lxml import etree

from landing.datacite import xml as datacite_xml

JSON_API = "application/vnd.api+json"


@dataclass
class FakeDoi:
    doi: str
    state: str
    url: str | None
    xml: bytes
    updates: int = 0


@dataclass
class FakeDatacite:
    username: str = "PC.TEST"
    password: str = "correct-password"
    prefixes: tuple[str, ...] = ("10.80000",)
    # Repository accounts may restrict the landing-page domains their DOIs point to.
    allowed_domains: tuple[str, ...] = ("127.0.0.1", "localhost")
    dois: dict[str, FakeDoi] = field(default_factory=dict)
    requests: list[tuple[str, str, int]] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        assert isinstance(host, str)
        return f"http://{host}:{port}"

    def fail_next(self, *statuses: int) -> None:
        self.failures.extend(statuses)

    def start(self) -> "FakeDatacite":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def _send(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
                body = json.dumps(payload).encode()
                fake.requests.append((self.command, self.path, status))  # before answering: tests read it at once
                self.send_response(status)
                self.send_header("Content-Type", JSON_API)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def _error(self, status: int, title: str, source: str | None = None) -> None:
                error = {"status": str(status), "title": title}
                if source:
                    error["source"] = source
                self._send(status, {"errors": [error]}, {"Retry-After": "0"} if status == 429 else None)

            def _authorised(self) -> bool:
                header = self.headers.get("Authorization", "")
                expected = base64.b64encode(f"{fake.username}:{fake.password}".encode()).decode()
                return header == f"Basic {expected}"

            def _doi(self) -> str | None:
                if not self.path.startswith("/dois/"):
                    return None
                return unquote(self.path[len("/dois/") :]).upper()

            def _representation(self, record: FakeDoi) -> dict:
                attributes = {
                    "doi": record.doi,
                    "state": record.state,
                    "url": record.url,
                    "xml": base64.b64encode(record.xml).decode(),
                }
                return {"data": {"id": record.doi.lower(), "type": "dois", "attributes": attributes}}

            def do_GET(self) -> None:
                doi = self._doi()
                record = fake.dois.get(doi or "")
                # Drafts are visible to their repository only; DataCite answers 404 to anyone else.
                if record is None or (record.state == "draft" and not self._authorised()):
                    return self._error(404, "The resource you are looking for doesn't exist.")
                self._send(200, self._representation(record))

            def do_PUT(self) -> None:
                if fake.failures:
                    status = fake.failures.pop(0)
                    self.rfile.read(int(self.headers.get("Content-Length", 0)))
                    return self._error(status, "Service unavailable" if status >= 500 else "Too many requests")
                if not self._authorised():
                    return self._error(401, "Bad credentials.")
                if self.headers.get("Content-Type") != JSON_API:
                    return self._error(415, "The content type is not recognized.")
                doi = self._doi()
                payload = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                attributes = payload.get("data", {}).get("attributes", {})
                if not doi or doi.split("/", 1)[0] not in fake.prefixes:
                    return self._error(403, "You are not authorized to access this resource.")
                existing = fake.dois.get(doi)
                xml = (
                    base64.b64decode(attributes["xml"]) if "xml" in attributes else (existing.xml if existing else b"")
                )
                if xml:
                    errors = datacite_xml.validation_errors(xml)
                    if errors:
                        return self._error(422, errors[0], source="metadata")
                    identifier = etree.fromstring(xml).findtext(f"{{{datacite_xml.NAMESPACE}}}identifier") or ""
                    if identifier.upper() != doi:
                        return self._error(422, "DOI in the XML does not match the DOI in the URL", source="doi")
                url = attributes.get("url") or (existing.url if existing else None)
                if url and urlparse(url).hostname not in fake.allowed_domains:
                    return self._error(422, "URL is not allowed by repository domain settings.", source="url")
                state = existing.state if existing else "draft"
                event = attributes.get("event")
                if event in ("publish", "register"):
                    if not url:
                        return self._error(422, "can't be blank", source="url")
                    if not xml:
                        return self._error(422, "can't be blank", source="metadata")
                    state = "findable" if event == "publish" else ("registered" if state == "draft" else state)
                elif event == "hide":
                    if state != "findable":
                        return self._error(422, "Only findable DOIs can be hidden.", source="event")
                    state = "registered"
                elif event is not None:
                    return self._error(422, f"Unknown event {event}.", source="event")
                if existing is None:
                    fake.dois[doi] = FakeDoi(doi=doi, state=state, url=url, xml=xml)
                    return self._send(201, self._representation(fake.dois[doi]))
                existing.state, existing.url, existing.xml = state, url, xml
                existing.updates += 1
                self._send(200, self._representation(existing))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # shutdown() waits for the loop's next poll: half a second a test at the default interval
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
