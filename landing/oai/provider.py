"""OAI-PMH 2.0 (openarchives.org/OAI/openarchivesprotocol.html) over `landing.oai.records`, with the oai-repo library.

oai-repo parses and checks the arguments, answers Identify, ListMetadataFormats and ListSets, and writes the envelope
and every error; we supply its data interface. Three things it does not do as the protocol and our harvesters need,
so they are ours: the list verbs page by keyset with signed stateless tokens (its tokens are unsigned offsets, and
write an `expiration_date` attribute the schema does not have), headers carry `status="deleted"` (its headers never
do), and `from`/`until` of different granularities are a badArgument (it takes each on its own).
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core import signing
from django.utils import timezone
from lxml import etree
from oai_repo import DataInterface, Identify, MetadataFormat, OAIRepository, Set
from oai_repo.error import OAIErrorResponse
from oai_repo.exceptions import (
    OAIErrorBadArgument,
    OAIErrorBadResumptionToken,
    OAIErrorBadVerb,
    OAIErrorCannotDisseminateFormat,
    OAIErrorIdDoesNotExist,
    OAIErrorNoRecordsMatch,
)
from oai_repo.getrecord import GetRecordRequest
from oai_repo.identify import IdentifyRequest, IdentifyResponse
from oai_repo.listmetadataformats import ListMetadataFormatsRequest, ListMetadataFormatsResponse
from oai_repo.listsets import ListSetsRequest as LibraryListSetsRequest
from oai_repo.listsets import ListSetsResponse
from oai_repo.request import OAIRequest
from oai_repo.response import OAIResponse

from catalogue import visibility
from catalogue.models import Dataset, Document
from landing.datacite import metadata
from landing.datacite import xml as datacite_xml
from landing.oai import records
from landing.oai.formats import FORMATS
from landing.services.pages import citing_documents

GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
TOKEN_SALT = "landing.oai.token"
REPOSITORY_WORD = re.compile(r"^[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+$")
OAI_IDENTIFIER = "http://www.openarchives.org/OAI/2.0/oai-identifier"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def repository_identifier() -> str:
    """The repositoryIdentifier of oai-identifiers: OAI_REPOSITORY_IDENTIFIER, else the site's host name."""
    if settings.OAI_REPOSITORY_IDENTIFIER:
        return settings.OAI_REPOSITORY_IDENTIFIER
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return host if REPOSITORY_WORD.match(host) else "pancommons.localhost"


def oai_identifier(header: records.Header) -> str:
    return f"oai:{repository_identifier()}:{header.kind}/{header.key}"


def parse_identifier(identifier: str) -> tuple[records.Kind, str] | None:
    prefix = f"oai:{repository_identifier()}:"
    if not identifier.startswith(prefix):
        return None
    kind, _, key = identifier.removeprefix(prefix).partition("/")
    if kind not in records.RANKS or not key:
        return None
    return kind, key


def datestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _echoed(value: str) -> str:
    """A harvester's argument quoted in an error message, non-ASCII and control characters escaped (\\u2019): oai-repo
    hands messages to lxml as UTF-8 bytes, which lxml takes only when they are ASCII."""
    return ascii(value)


def _parse_date(text: str) -> tuple[datetime, timedelta]:
    """A from/until argument and the length of its granule (a day or a second)."""
    for pattern, granule in (("%Y-%m-%d", timedelta(days=1)), ("%Y-%m-%dT%H:%M:%SZ", timedelta(seconds=1))):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC), granule
        except ValueError:
            continue
    raise OAIErrorBadArgument(f"{_echoed(text)} is not a date of the form YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ.")


# --- The data interface -------------------------------------------------------------------------------------------


class Catalogue(DataInterface):
    """oai-repo's data interface over the catalogue; one instance per request.

    oai-repo asks the Identify data of every response for its base URL: only the Identify verb reads the earliest
    datestamp (two queries), so `full` says whether this request is one.
    """

    def __init__(self, *, full: bool = True) -> None:
        self.limit = settings.OAI_PAGE_SIZE
        self.full = full

    @cached_property
    def identify(self) -> Identify:
        earliest = (records.earliest_datestamp() if self.full else None) or timezone.now()
        description = etree.Element(f"{{{OAI_IDENTIFIER}}}oai-identifier", nsmap={None: OAI_IDENTIFIER, "xsi": XSI})
        description.set(f"{{{XSI}}}schemaLocation", f"{OAI_IDENTIFIER} {OAI_IDENTIFIER}.xsd")
        for tag, text in (
            ("scheme", "oai"),
            ("repositoryIdentifier", repository_identifier()),
            ("delimiter", ":"),
            ("sampleIdentifier", f"oai:{repository_identifier()}:doi/10.1234/example"),
        ):
            etree.SubElement(description, f"{{{OAI_IDENTIFIER}}}{tag}").text = text
        return Identify(
            repository_name=f"{settings.HOME_FACILITY} open data",
            base_url=metadata.site_url("/oai"),
            admin_email=[settings.OAI_ADMIN_EMAIL],
            earliest_datestamp=datestamp(earliest),
            deleted_record="persistent",
            granularity=GRANULARITY,
            compression=[],
            description=[description],
        )

    def get_identify(self) -> Identify:
        return self.identify

    def header(self, identifier: str) -> records.Header | None:
        parsed = parse_identifier(identifier)
        return records.find(*parsed) if parsed else None

    def is_valid_identifier(self, identifier: str) -> bool:
        return self.header(identifier) is not None

    def get_metadata_formats(self, identifier: str | None = None) -> list[MetadataFormat]:
        return [MetadataFormat(f.prefix, f.schema, f.namespace) for f in FORMATS.values()]

    def list_set_specs(self, identifier: str | None = None, cursor: int = 0) -> tuple[list[str], int, None]:
        specs = [spec for spec, _ in self.sets]
        return specs, len(specs), None

    @cached_property
    def sets(self) -> list[tuple[str, str]]:
        return records.all_sets()

    def get_set(self, setspec: str) -> Set:
        # oai-repo iterates a set's description: a list, even when empty.
        return Set(spec=setspec, name=dict(self.sets)[setspec], description=[])


# --- Records and headers ------------------------------------------------------------------------------------------


def _add_header(parent: etree._Element, header: records.Header) -> None:
    element = etree.SubElement(parent, "header")
    if header.deleted:
        element.set("status", "deleted")
    etree.SubElement(element, "identifier").text = oai_identifier(header)
    etree.SubElement(element, "datestamp").text = datestamp(header.changed_at)
    for spec in header.sets:
        etree.SubElement(element, "setSpec").text = spec


def record_metadata(headers: list[records.Header]) -> dict[tuple[str, int], metadata.Record]:
    """The anonymous DataCite records of these (not deleted) headers, in a number of queries that does not grow with
    theirs."""
    wanted = {(h.kind, h.id) for h in headers if not h.deleted}
    found: dict[tuple[str, int], metadata.Record] = {}
    document_ids = [pk for kind, pk in wanted if kind == "doi"]
    if document_ids:  # most pages of a large catalogue hold datasets only
        whole = set(
            visibility.documents_visible_to(metadata.ANONYMOUS).filter(pk__in=document_ids).values_list("pk", flat=True)
        )
        documents = list(Document.objects.filter(pk__in=document_ids).select_related("facility"))
        stubs = {document.pk for document in documents if document.pk not in whole}  # every harvested one has a DOI
        records = metadata.document_records(documents=documents, stubs=stubs)
        found |= {("doi", document.pk): record for document, record in zip(documents, records, strict=True)}
    dataset_ids = [pk for kind, pk in wanted if kind == "dataset"]
    if dataset_ids:
        datasets = list(
            Dataset.objects.filter(pk__in=dataset_ids)
            .select_related("proposal__facility", "instrument__facility")
            .defer("raw_metadata", "scientific_metadata")  # what ingestion read, which no record shows
        )
        records = metadata.dataset_records(datasets=datasets, citing=citing_documents(datasets))
        found |= {("dataset", dataset.pk): record for dataset, record in zip(datasets, records, strict=True)}
    return found


def _add_records(parent: etree._Element, headers: list[records.Header], prefix: str) -> None:
    render = FORMATS[prefix].render
    found = record_metadata(headers)
    for header in headers:
        element = etree.SubElement(parent, "record")
        _add_header(element, header)
        if not header.deleted:
            etree.SubElement(element, "metadata").append(render(found[header.kind, header.id]))


# --- Resumption tokens: signed, stateless, a keyset position ------------------------------------------------------


@dataclass(frozen=True)
class Harvest:
    """One list request: its arguments, the harvest's frozen upper bound, and where the previous page ended."""

    prefix: str
    selection: records.Selection
    after: records.Position | None
    cursor: int
    size: int

    def token(self, last: records.Position, cursor: int) -> str:
        selection = self.selection
        return signing.dumps(
            {
                "p": self.prefix,
                "f": selection.start.isoformat() if selection.start else None,
                "u": selection.end.isoformat(),
                "s": selection.set_spec,
                "k": [last.changed_at.isoformat(), last.rank, last.id],
                "c": cursor,
                "n": self.size,
            },
            salt=TOKEN_SALT,
            compress=True,
        )


def harvest_from_arguments(args: dict[str, str]) -> Harvest:
    """A first request: check the arguments, freeze the upper bound at now, count the complete list."""
    prefix = args["metadataPrefix"]
    if prefix not in FORMATS:
        raise OAIErrorCannotDisseminateFormat(f"{_echoed(prefix)} is not a metadata format of this repository.")
    now = timezone.now()
    start, end = None, now
    granules = set()
    if "from" in args:
        start, granule = _parse_date(args["from"])
        granules.add(granule)
    if "until" in args:
        until, granule = _parse_date(args["until"])
        granules.add(granule)
        # until is inclusive: every datestamp within its day or second (the day after 9999-12-31 is no date)
        end = min(until + granule, now) if until < now else now
    if len(granules) > 1:
        raise OAIErrorBadArgument("'from' and 'until' must have the same granularity.")
    set_spec = args.get("set")
    if set_spec is not None and not records.set_exists(set_spec):
        raise OAIErrorNoRecordsMatch(f"There is no set {_echoed(set_spec)} (ListSets lists them).")
    selection = records.Selection(start=start, end=end, set_spec=set_spec)
    return Harvest(prefix=prefix, selection=selection, after=None, cursor=0, size=records.count(selection))


def harvest_from_token(token: str) -> Harvest:
    try:
        data: dict[str, Any] = signing.loads(token, salt=TOKEN_SALT, max_age=settings.OAI_TOKEN_HOURS * 3600)
        changed_at, rank, pk = data["k"]
        return Harvest(
            prefix=data["p"],
            selection=records.Selection(
                start=datetime.fromisoformat(data["f"]) if data["f"] else None,
                end=datetime.fromisoformat(data["u"]),
                set_spec=data["s"],
            ),
            after=records.Position(datetime.fromisoformat(changed_at), int(rank), int(pk)),
            cursor=int(data["c"]),
            size=int(data["n"]),
        )
    except signing.SignatureExpired:
        raise OAIErrorBadResumptionToken("The resumptionToken has expired; start the harvest again.") from None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise OAIErrorBadResumptionToken("The resumptionToken is not one this repository issued.") from None


# --- The verbs oai-repo leaves to us --------------------------------------------------------------------------------


class ListRequest(OAIRequest):
    def __init__(self) -> None:
        super().__init__()
        self.optional_args = ["from", "until", "set"]
        self.required_args = ["metadataPrefix"]
        self.exclusive_arg = "resumptionToken"

    def post_parse(self) -> None:
        self.harvest = (
            harvest_from_token(self.args["resumptionToken"])
            if "resumptionToken" in self.args
            else harvest_from_arguments(self.args)
        )


class ListIdentifiersRequest(ListRequest):
    pass


class ListRecordsRequest(ListRequest):
    pass


class ListIdentifiersResponse(OAIResponse):
    with_metadata = False

    def body(self) -> etree._Element:
        harvest: Harvest = self.request.harvest
        headers, more = records.page(harvest.selection, after=harvest.after, size=settings.OAI_PAGE_SIZE)
        if not headers:
            raise OAIErrorNoRecordsMatch("No records match these arguments.")
        element = etree.Element(self.request.verb)
        if self.with_metadata:
            _add_records(element, headers, harvest.prefix)
        else:
            for header in headers:
                _add_header(element, header)
        if more or harvest.after is not None:
            token = etree.SubElement(element, "resumptionToken")
            token.set("cursor", str(harvest.cursor))
            token.set("completeListSize", str(harvest.size))
            if more:
                token.text = harvest.token(headers[-1].position, harvest.cursor + len(headers))
                expires = timezone.now() + timedelta(hours=settings.OAI_TOKEN_HOURS)
                token.set("expirationDate", datestamp(expires))
        return element


class ListRecordsResponse(ListIdentifiersResponse):
    with_metadata = True


class GetRecordResponse(OAIResponse):
    def body(self) -> etree._Element:
        prefix = self.request.metadataprefix
        header = self.repository.data.header(self.request.identifier)
        if header is None:
            raise OAIErrorIdDoesNotExist(f"There is no record {_echoed(self.request.identifier)}.")
        if prefix not in FORMATS:
            raise OAIErrorCannotDisseminateFormat(f"{_echoed(prefix)} is not a metadata format of this repository.")
        element = etree.Element("GetRecord")
        _add_records(element, [header], prefix)
        return element


class ListSetsRequest(LibraryListSetsRequest):
    def post_parse(self) -> None:
        if "resumptionToken" in self.args:  # every set fits in one answer: no token was ever issued
            raise OAIErrorBadResumptionToken("ListSets issues no resumptionToken.")


VERBS: dict[str, tuple[type[OAIRequest], type[OAIResponse]]] = {
    "GetRecord": (GetRecordRequest, GetRecordResponse),
    "Identify": (IdentifyRequest, IdentifyResponse),
    "ListIdentifiers": (ListIdentifiersRequest, ListIdentifiersResponse),
    "ListMetadataFormats": (ListMetadataFormatsRequest, ListMetadataFormatsResponse),
    "ListRecords": (ListRecordsRequest, ListRecordsResponse),
    "ListSets": (ListSetsRequest, ListSetsResponse),
}


class Repository(OAIRepository):
    """oai-repo's repository with our verb classes."""

    def create_request(self, args: dict[str, str]) -> OAIRequest:
        verb = args.pop("verb", None)
        if verb not in VERBS:
            raise OAIErrorBadVerb("The verb argument is missing or not an OAI-PMH verb.")
        request = VERBS[verb][0]()
        request.parse(args)
        return request

    def create_response(self, request: OAIRequest) -> OAIResponse:
        return VERBS[request.verb][1](self, request)


def answer(arguments: dict[str, list[str]]) -> bytes:
    """The OAI-PMH response to these request arguments (each with all its values), as UTF-8 XML."""
    repository = Repository(Catalogue(full=arguments.get("verb") == ["Identify"]))
    if any(len(values) > 1 for values in arguments.values()):
        return bytes(OAIErrorResponse(repository, OAIErrorBadArgument("An argument is repeated.")))
    for name, (value,) in arguments.items():
        if found := datacite_xml.NOT_XML.search(name + value):
            problem = f"The argument {_echoed(name)} holds U+{ord(found.group()):04X}, which XML cannot carry."
            return bytes(OAIErrorResponse(repository, OAIErrorBadArgument(problem)))
    return bytes(repository.process({name: values[0] for name, values in arguments.items()}))
