"""The PaNOSC entities and relations (spec §2.2–2.3) mapped onto the catalogue model, public rows only.

Each entity names its wire fields (with the ORM lookup and value type behind each) and its relations (with the
lookup from the target back to the parent). Everything the filter compiler and the serializers need to know.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, CharField, Exists, F, Func, Model, OuterRef, QuerySet, Value, When
from django.db.models.functions import Lower

from catalogue import visibility
from catalogue.models import (
    Affiliation,
    DataFile,
    Dataset,
    Document,
    DocumentKind,
    Instrument,
    Member,
    Parameter,
    Person,
    Sample,
    Technique,
)
from catalogue.visibility import open_datasets


@dataclass(frozen=True)
class Field:
    lookup: str
    kind: str  # string | number | integer | boolean | date | array | public | person_id


@dataclass(frozen=True)
class Relation:
    target: str
    many: bool
    # lookups from the target model to the parent; several when a parent reaches its children by two routes
    paths: tuple[str, ...]
    # which parents use which path (e.g. proposals hold datasets by FK, collections by choice); None: all of them
    path_for: Callable[[Any], str] | None = None
    # A parent whose foreign key of this name is set holds the children of the row it names instead of its own: a
    # further entry of a multi-entry file lists the file, whose rows belong to the primary entry's dataset.
    shared_from: str | None = None


@dataclass(frozen=True)
class Entity:
    name: str
    model: type[Model]
    fields: dict[str, Field]
    relations: dict[str, Relation]
    text_fields: tuple[str, ...]
    default_order: tuple  # order_by() arguments
    base: Callable[[], QuerySet]
    # The columns its serializer reads (serializers.py), loaded alone: a page of datasets with their JSON metadata
    # and timestamps cost more to decode than to query. Empty: every column (narrow tables).
    columns: tuple[str, ...] = ()
    # Its serializer reads those columns and the query's annotations only, so included rows are fetched as plain
    # records: an instance of a wide model costs ~20 µs to build, and a page of 250 documents includes hundreds.
    plain_rows: bool = False


def _file_name() -> Func:
    return Func(F("path"), Value("^.*/"), Value(""), function="regexp_replace", output_field=CharField())


def _file_directory() -> Func:
    return Func(F("path"), Value("/?[^/]*$"), Value(""), function="regexp_replace", output_field=CharField())


def _documents() -> QuerySet:
    kind = Case(When(kind=DocumentKind.COLLECTION, then=Value("publication")), default=Value("proposal"))
    return visibility.open_documents().annotate(wire_type=kind)


def _members() -> QuerySet:
    return Member.objects.filter(Exists(visibility.open_documents().filter(pk=OuterRef("document_id"))))


def _document_datasets_path(document: Document) -> str:
    return "collections" if document.kind == DocumentKind.COLLECTION else "proposal"


ENTITIES: dict[str, Entity] = {}


def _register(entity: Entity) -> None:
    ENTITIES[entity.name] = entity


_register(
    Entity(
        name="Dataset",
        model=Dataset,
        fields={
            "pid": Field("pid", "string"),
            "title": Field("title", "string"),
            "isPublic": Field("", "public"),
            "creationDate": Field("creation_time", "date"),
            "size": Field("size", "integer"),
        },
        relations={
            "documents": Relation("Document", True, ("datasets", "collected_datasets")),
            "document": Relation("Document", False, ("datasets",)),
            "techniques": Relation("Technique", True, ("datasets",)),
            "instrument": Relation("Instrument", False, ("datasets",)),
            "files": Relation("File", True, ("dataset",), shared_from="file_dataset_id"),
            "parameters": Relation("Parameter", True, ("dataset",)),
            "samples": Relation("Sample", True, ("datasets",)),
        },
        text_fields=("title",),
        default_order=(Lower("title"), "pid"),
        base=open_datasets,
        columns=("pid", "title", "creation_time", "size", "file_dataset_id"),
        plain_rows=True,
    )
)
_register(
    Entity(
        name="Document",
        model=Document,
        fields={
            "pid": Field("pid", "string"),
            "isPublic": Field("", "public"),
            "type": Field("wire_type", "string"),
            "title": Field("title", "string"),
            "summary": Field("summary", "string"),
            "doi": Field("doi", "string"),
            "startDate": Field("start_date", "date"),
            "endDate": Field("end_date", "date"),
            "releaseDate": Field("release_date", "date"),
            "license": Field("licence", "string"),
            "keywords": Field("keywords", "array"),
        },
        relations={
            "datasets": Relation("Dataset", True, ("proposal", "collections"), _document_datasets_path),
            "members": Relation("Member", True, ("document",)),
            "parameters": Relation("Parameter", True, ("document",)),
        },
        text_fields=("title", "summary"),
        default_order=(Lower("title"), "pid"),
        base=_documents,
        columns=(
            "kind",
            "pid",
            "title",
            "summary",
            "doi",
            "start_date",
            "end_date",
            "release_date",
            "licence",
            "keywords",
        ),
    )
)
_register(
    Entity(
        name="Instrument",
        model=Instrument,
        fields={
            "pid": Field("pid", "string"),
            "name": Field("name", "string"),
            "facility": Field("facility__short_name", "string"),
        },
        relations={"datasets": Relation("Dataset", True, ("instrument",))},
        text_fields=("name", "facility__short_name"),
        default_order=(Lower("name"), "pid"),
        base=lambda: Instrument.objects.select_related("facility"),
        columns=("pid", "name", "facility__short_name"),
    )
)
_register(
    Entity(
        name="File",
        model=DataFile,
        fields={
            "id": Field("id", "integer"),
            "name": Field("panosc_name", "string"),
            "path": Field("panosc_path", "string"),
            "size": Field("size", "integer"),
        },
        relations={"dataset": Relation("Dataset", False, ("files",))},
        text_fields=("panosc_name",),
        default_order=("panosc_name", "id"),
        base=lambda: DataFile.objects.annotate(panosc_name=_file_name(), panosc_path=_file_directory()),
        columns=("path", "size"),
    )
)
_register(
    Entity(
        name="Parameter",
        model=Parameter,
        fields={
            "id": Field("id", "integer"),
            "name": Field("name", "string"),
            "value": Field("value", "parameter_value"),
            "unit": Field("unit", "string"),
        },
        relations={
            "dataset": Relation("Dataset", False, ("parameters",)),
            "document": Relation("Document", False, ("parameters",)),
        },
        text_fields=(),
        default_order=("name", "id"),
        base=Parameter.objects.all,
        columns=("name", "value_si", "value_number", "value_text", "raw_unit", "unit"),
        plain_rows=True,
    )
)
_register(
    Entity(
        name="Technique",
        model=Technique,
        fields={
            "pid": Field("pid", "string"),
            "panetId": Field("pid", "string"),
            "name": Field("name", "string"),
        },
        relations={"datasets": Relation("Dataset", True, ("techniques",))},
        text_fields=("name",),
        default_order=("name", "pid"),
        base=Technique.objects.all,
        columns=("pid", "panet_id", "name"),
    )
)
_register(
    Entity(
        name="Sample",
        model=Sample,
        fields={
            "pid": Field("pid", "string"),
            "name": Field("name", "string"),
            "description": Field("description", "string"),
        },
        relations={"datasets": Relation("Dataset", True, ("samples",))},
        text_fields=("name", "description"),
        default_order=("name", "pid"),
        base=Sample.objects.all,
        columns=("pid", "name", "description"),
    )
)
_register(
    Entity(
        name="Member",
        model=Member,
        fields={"id": Field("id", "integer"), "role": Field("role", "string")},
        relations={
            "person": Relation("Person", False, ("memberships",)),
            "affiliation": Relation("Affiliation", False, ("members",)),
            "document": Relation("Document", False, ("members",)),
        },
        text_fields=(),
        default_order=("role", "person__full_name", "id"),
        base=_members,
    )
)
_register(
    Entity(
        name="Person",
        model=Person,
        fields={
            "id": Field("id", "person_id"),
            "fullName": Field("full_name", "string"),
            "orcid": Field("orcid", "string"),
            "researcherId": Field("researcher_id", "string"),
            "firstName": Field("first_name", "string"),
            "lastName": Field("last_name", "string"),
        },
        relations={"members": Relation("Member", True, ("person",))},
        text_fields=("full_name", "first_name", "last_name"),
        default_order=("full_name", "id"),
        base=Person.objects.all,
    )
)
_register(
    Entity(
        name="Affiliation",
        model=Affiliation,
        fields={
            "id": Field("id", "integer"),
            "name": Field("name", "string"),
            "address": Field("address", "string"),
            "city": Field("city", "string"),
            "country": Field("country", "string"),
        },
        relations={"members": Relation("Member", True, ("affiliation",))},
        text_fields=("name", "address", "city", "country"),
        default_order=("name", "id"),
        base=Affiliation.objects.all,
    )
)

ROUTE_ENTITIES = {"datasets": "Dataset", "documents": "Document", "instruments": "Instrument"}
