"""The catalogue model, one module per entity."""

from catalogue.models.datasets import Dataset, DatasetKind, IngestionState, Preview
from catalogue.models.documents import Collection, Document, DocumentKind, DoiState, Proposal
from catalogue.models.facilities import Facility, Instrument
from catalogue.models.files import DataFile
from catalogue.models.parameters import Parameter
from catalogue.models.people import AccessGrant, AccessRequest, Affiliation, Member, Person
from catalogue.models.samples import Sample
from catalogue.models.techniques import Technique

__all__ = [
    "AccessGrant",
    "AccessRequest",
    "Affiliation",
    "Collection",
    "DataFile",
    "Dataset",
    "DatasetKind",
    "DoiState",
    "Document",
    "DocumentKind",
    "Facility",
    "IngestionState",
    "Instrument",
    "Member",
    "Parameter",
    "Person",
    "Preview",
    "Proposal",
    "Sample",
    "Technique",
]
