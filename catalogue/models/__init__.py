"""The catalogue model, one module per entity."""

from catalogue.models.datasets import Dataset, DatasetKind, IngestionState, Preview
from catalogue.models.dmp import DataManagementPlan, PlannedDataset
from catalogue.models.documents import Collection, Document, DocumentKind, DoiState, Proposal
from catalogue.models.facets import DatasetFacets, FacetCountDelta, FacetGroup, TechniqueSet
from catalogue.models.facilities import Facility, Instrument
from catalogue.models.fair import (
    DatasetFairScore,
    DocumentFairScore,
    FairGap,
    FairScoreCount,
    FairSnapshot,
    FairWorkItem,
)
from catalogue.models.files import DataFile
from catalogue.models.parameters import Parameter
from catalogue.models.people import AccessGrant, AccessRequest, Affiliation, Member, Person
from catalogue.models.related_works import RelatedWork
from catalogue.models.samples import Sample
from catalogue.models.search import (
    DatasetPosting,
    DocumentPosting,
    InstrumentPosting,
    SearchGroup,
    SearchIndexState,
    SearchTerm,
)
from catalogue.models.session_matches import SessionMatch
from catalogue.models.statistics import DatasetStatistics, DocumentStatistics
from catalogue.models.techniques import Technique

__all__ = [
    "AccessGrant",
    "AccessRequest",
    "Affiliation",
    "Collection",
    "DataFile",
    "DataManagementPlan",
    "DatasetPosting",
    "Dataset",
    "DatasetFacets",
    "DatasetFairScore",
    "DatasetStatistics",
    "FacetCountDelta",
    "FacetGroup",
    "DatasetKind",
    "DoiState",
    "Document",
    "DocumentPosting",
    "DocumentKind",
    "DocumentFairScore",
    "DocumentStatistics",
    "Facility",
    "FairGap",
    "FairScoreCount",
    "FairSnapshot",
    "FairWorkItem",
    "IngestionState",
    "Instrument",
    "InstrumentPosting",
    "Member",
    "Parameter",
    "Person",
    "PlannedDataset",
    "Preview",
    "Proposal",
    "RelatedWork",
    "Sample",
    "SearchGroup",
    "SearchIndexState",
    "SearchTerm",
    "SessionMatch",
    "Technique",
    "TechniqueSet",
]
