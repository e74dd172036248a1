"""The FAIR checks: one typed list, each check tied to a FAIR principle and to the F-UJI metric (v0.8) that
assesses the same thing, with its weight, what it looks at, why it matters and how to fix it.

Pure Python: a check reads a `Facts` (what the catalogue says about one dataset or DOI, gathered by
catalogue.fair.facts) and returns a `Result`. Nothing here touches the database.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

PAN_TRAINING = "https://pan-training.eu/materials?q="
PAN_LEARNING = "https://pan-learning.org/"
# SPDX ids a facility's data licence is expected to be one of; others count as unrecognised.
RECOGNISED_LICENCES = frozenset({"CC-BY-4.0", "CC0-1.0", "CC-BY-SA-4.0", "CC-BY-NC-4.0", "ODbL-1.0", "PDDL-1.0"})
REGISTERED_DOI_STATES = frozenset({"registered", "findable"})


class Level(StrEnum):
    """Where a check is evaluated: on every record, or on datasets (a DOI then scores the mean of its datasets)."""

    RECORD = "record"
    DATASET = "dataset"


class Owner(StrEnum):
    """Who holds the field a fix changes: the worklist counts one edit per distinct owner."""

    DATASET = "dataset"
    PROPOSAL = "proposal"
    PERSON = "person"
    AFFILIATION = "affiliation"
    INSTRUMENT = "instrument"
    SITE = "site"  # the repository's configuration (DataCite account, embargo policy)


@dataclass(frozen=True)
class Facts:
    """What the catalogue holds about one dataset, or one DOI (a proposal or collection), for the checks."""

    kind: str  # "dataset" or "document"
    title: str
    description: str
    keywords: tuple[str, ...]
    doi_state: str  # of the DOI the record is cited through; "" without one
    is_open: bool
    is_withdrawn: bool
    release_date: datetime | None
    licence: str  # the explicit SPDX id, "" when the site's default applies
    creators: int
    creators_with_orcid: int
    affiliations: int
    affiliations_with_ror: int
    publications: int
    # Dataset facts; a DOI carries the mean of its datasets' results for these checks instead (dataset_means).
    source_name: str = ""
    techniques: int = 0
    panet_techniques: int = 0
    samples: int = 0
    instrument: str = ""
    instrument_has_pid: bool = False
    physical_parameters: int = 0
    parameters_with_si_units: int = 0
    files: int = 0
    files_unavailable: int = 0
    is_derived: bool = False
    input_datasets: int = 0
    software: str = ""
    software_version: str = ""
    definitions: tuple[str, ...] = ()
    file_format: str = ""
    dataset_means: Mapping[str, float | None] | None = None


@dataclass(frozen=True)
class Result:
    earned: float | None  # 0..1; None when the check does not apply to this record
    missing: str = ""  # what is missing, in plain words ("" when fully met)


@dataclass(frozen=True)
class Check:
    key: str
    name: str
    principle: str
    fuji_metric: str | None
    weight: int
    level: Level
    owner: Owner
    looks_at: str  # what the check reads, for the docs and the breakdown
    why: str  # why it matters, for scientists, in plain words
    fix: str  # how to fix it
    training: str  # where to learn more
    evaluate: Callable[[Facts], Result]
    steward_action: str = ""  # the admin bulk action that fixes it, if any
    scientist_field: str = ""  # the field of the landing page's fix form, if scientists can fix it


def _share(part: int, whole: int, *, missing: str) -> Result:
    if whole == 0:
        return Result(0.0, missing)
    earned = part / whole
    return Result(earned, "" if part == whole else missing.format(part=whole - part, whole=whole))


def _pid(facts: Facts) -> Result:
    if facts.doi_state in REGISTERED_DOI_STATES:
        return Result(1.0)
    if facts.doi_state:
        # A DOI doi.org does not resolve is no persistent identifier to anyone else yet: nobody can cite it or
        # resolve it, and F-UJI scores it 0 (FsF-F1-02MD), not half for its syntax.
        return Result(0.0, "its DOI is a local draft, not registered with DataCite: doi.org does not resolve it")
    return Result(0.0, "it has no DOI")


def _title(facts: Facts) -> Result:
    title = facts.title.strip()
    if len(title) < 10 or (facts.source_name and title == facts.source_name):
        return Result(0.0, "its title is a file name or too short to say what was measured")
    return Result(1.0)


def _description(facts: Facts) -> Result:
    if len(facts.description.strip()) >= 50:
        return Result(1.0)
    return Result(0.0, "it has no description (at least a sentence or two)")


def _keywords(facts: Facts) -> Result:
    return Result(1.0) if facts.keywords else Result(0.0, "it has no keywords")


def _technique(facts: Facts) -> Result:
    return Result(1.0) if facts.techniques else Result(0.0, "no technique is recorded")


def _sample(facts: Facts) -> Result:
    return Result(1.0) if facts.samples else Result(0.0, "no sample is recorded")


def _instrument(facts: Facts) -> Result:
    return Result(1.0) if facts.instrument else Result(0.0, "no instrument is recorded")


def _parameters(facts: Facts) -> Result:
    if not facts.physical_parameters:
        return Result(0.0, "no measured parameter (temperature, wavelength, energy…) is recorded")
    return _share(
        facts.parameters_with_si_units,
        facts.physical_parameters,
        missing="{part} of {whole} parameters have no unit that converts to SI",
    )


def _searchable(facts: Facts) -> Result:
    if facts.is_withdrawn:
        return Result(0.0, "it was withdrawn, so search services no longer list it")
    if facts.is_open and facts.doi_state in REGISTERED_DOI_STATES:
        return Result(1.0)
    if facts.is_open:
        return Result(
            0.5,
            "its DOI is not registered, so DataCite's search and the aggregators that harvest DataCite "
            "(OpenAIRE, B2FIND) do not list it; our search API, sitemap and OAI-PMH do",
        )
    when = f" on {facts.release_date:%Y-%m-%d}" if facts.release_date else ""
    return Result(0.0, f"it is under embargo: search services list it once it opens{when}")


def _access(facts: Facts) -> Result:
    if facts.is_withdrawn:
        return Result(0.0, "it was withdrawn: only a tombstone remains")
    return Result(1.0)


def _retrievable(facts: Facts) -> Result:
    if not facts.files:
        return Result(0.0, "no data file is recorded")
    return _share(
        facts.files - facts.files_unavailable,
        facts.files,
        missing="{part} of {whole} files are missing on storage or failed their checksum",
    )


def _machine_readable(facts: Facts) -> Result:
    if facts.doi_state:
        return Result(1.0)
    return Result(0.5, "without a DOI it has schema.org JSON-LD but no DataCite record")


def _panet(facts: Facts) -> Result:
    if not facts.techniques:
        return Result(0.0, "no technique is recorded, so none is a PaNET term")
    return _share(
        facts.panet_techniques, facts.techniques, missing="{part} of {whole} techniques are local terms, not PaNET"
    )


def _orcid(facts: Facts) -> Result:
    if not facts.creators:
        return Result(0.0, "no creator is listed, so the facility stands in as author")
    return _share(facts.creators_with_orcid, facts.creators, missing="{part} of {whole} creators have no ORCID iD")


def _ror(facts: Facts) -> Result:
    if not facts.affiliations:
        return Result(0.0, "no creator has an affiliation")
    return _share(
        facts.affiliations_with_ror, facts.affiliations, missing="{part} of {whole} affiliations have no ROR id"
    )


def _publication(facts: Facts) -> Result:
    return Result(1.0) if facts.publications else Result(0.0, "no publication is linked")


def _inputs(facts: Facts) -> Result:
    if not facts.is_derived:
        return Result(None)
    return (
        Result(1.0)
        if facts.input_datasets
        else Result(0.0, "derived data, but the datasets it came from are not linked")
    )


def _instrument_pid(facts: Facts) -> Result:
    if not facts.instrument:
        return Result(0.0, "no instrument is recorded")
    if facts.instrument_has_pid:
        return Result(1.0)
    return Result(0.0, "its instrument has no persistent identifier (a DOI, as PIDINST recommends)")


def _licence(facts: Facts) -> Result:
    if not facts.licence:
        return Result(0.5, "no licence was chosen: the site's default applies")
    if facts.licence in RECOGNISED_LICENCES:
        return Result(1.0)
    return Result(0.0, f"its licence {facts.licence!r} is not a recognised SPDX licence")


def _provenance(facts: Facts) -> Result:
    parts = {"the instrument": bool(facts.instrument), "the software and its version": bool(facts.software_version)}
    if facts.is_derived:
        parts["the input datasets"] = bool(facts.input_datasets)
    absent = [name for name, present in parts.items() if not present]
    earned = (len(parts) - len(absent)) / len(parts)
    return Result(earned, "" if not absent else "not recorded: " + ", ".join(absent))


def _community_standard(facts: Facts) -> Result:
    definitions = [name for name in facts.definitions if name not in ("", "NXentry")]
    if definitions:
        return Result(1.0)
    return Result(0.0, "its files declare no NeXus application definition (e.g. NXsas, NXmx)")


def _file_format(facts: Facts) -> Result:
    if any(word in facts.file_format.lower() for word in ("nexus", "hdf5", "hdf")):
        return Result(1.0)
    return Result(0.0, "its data are not recorded as NeXus/HDF5, the community's format")


CHECKS: list[Check] = [
    Check(
        key="pid",
        name="Persistent identifier",
        principle="F1",
        fuji_metric="FsF-F1-02MD",
        weight=13,
        level=Level.RECORD,
        owner=Owner.SITE,
        looks_at="the DOI of the record (a dataset: of its proposal or collection) and whether DataCite registered it",
        why="A DOI is the address that never breaks: papers cite it and machines resolve it.",
        fix="Configure the site's DataCite account; then `manage.py sync_dois` registers the pending DOIs.",
        evaluate=_pid,
        training=PAN_TRAINING + "persistent+identifiers",
    ),
    Check(
        key="title",
        name="Meaningful title",
        principle="F2",
        fuji_metric="FsF-F2-01M",
        weight=2,
        level=Level.RECORD,
        owner=Owner.DATASET,
        looks_at="the title: at least 10 characters and not the file name",
        why="The title is what people read first in search results; a file name says nothing about the science.",
        fix="Give it a title that names the sample and the measurement.",
        evaluate=_title,
        training=PAN_TRAINING + "metadata",
        scientist_field="title",
    ),
    Check(
        key="description",
        name="Description",
        principle="F2",
        fuji_metric="FsF-F2-01M",
        weight=6,
        level=Level.RECORD,
        owner=Owner.DATASET,
        looks_at="the description (dataset) or summary (DOI): at least 50 characters",
        why="A few sentences on what was measured and why let others judge whether the data answer their question.",
        fix="Write two or three sentences: sample, conditions, aim.",
        evaluate=_description,
        training=PAN_TRAINING + "metadata",
        scientist_field="description",
    ),
    Check(
        key="keywords",
        name="Keywords",
        principle="F2",
        fuji_metric="FsF-F2-01M",
        weight=5,
        level=Level.RECORD,
        owner=Owner.DATASET,
        looks_at="the record's keywords",
        why="Keywords are how search engines and the PaN data portal match the data to what people type.",
        fix="Add a few keywords (material, phenomenon, field).",
        evaluate=_keywords,
        training=PAN_TRAINING + "keywords",
        steward_action="add_keywords",
        scientist_field="keywords",
    ),
    Check(
        key="technique",
        name="Technique",
        principle="F2",
        fuji_metric="FsF-F2-01M",
        weight=3,
        level=Level.DATASET,
        owner=Owner.DATASET,
        looks_at="the techniques of the dataset",
        why="People search PaN data by technique first (SAXS, powder diffraction…).",
        fix="Add the technique used (a PaNET term).",
        evaluate=_technique,
        training=PAN_TRAINING + "PaNET",
        steward_action="add_technique",
    ),
    Check(
        key="sample",
        name="Sample",
        principle="F2",
        fuji_metric="FsF-F2-01M",
        weight=4,
        level=Level.DATASET,
        owner=Owner.DATASET,
        looks_at="the samples of the dataset",
        why="Without the sample, nobody can tell what the data are about.",
        fix="Record the sample (name and chemical formula) in the file's NXsample, or in the admin.",
        evaluate=_sample,
        training=PAN_TRAINING + "sample+metadata",
    ),
    Check(
        key="instrument",
        name="Instrument",
        principle="F2",
        fuji_metric="FsF-F2-01M",
        weight=2,
        level=Level.DATASET,
        owner=Owner.DATASET,
        looks_at="the instrument of the dataset",
        why="The instrument tells others the resolution, range and setup behind the numbers.",
        fix="Set the instrument (the file's NXinstrument name, or in the admin).",
        evaluate=_instrument,
        training=PAN_TRAINING + "instrument",
    ),
    Check(
        key="parameters",
        name="Parameters with units",
        principle="F2",
        fuji_metric="FsF-R1-01M",
        weight=5,
        level=Level.DATASET,
        owner=Owner.DATASET,
        looks_at="the physical parameters and whether their units convert to SI",
        why="Searches such as 'temperature below 80 K' find only parameters whose units are known.",
        fix="Write the units in the NeXus file (the `units` attribute), or correct them in the admin.",
        evaluate=_parameters,
        training=PAN_TRAINING + "NeXus+units",
    ),
    Check(
        key="searchable",
        name="Findable in search services",
        principle="F4",
        fuji_metric="FsF-F4-01M",
        weight=8,
        level=Level.RECORD,
        owner=Owner.SITE,
        looks_at="whether the record is open (so in the PaNOSC search index, the sitemap and OAI-PMH) and its DOI "
        "registered (so in DataCite's search and the aggregators that harvest it)",
        why="Search engines, the PaN data portal and aggregators list open data only.",
        fix="Nothing to edit: it is listed once the embargo ends (or a steward opens it early) and in DataCite's "
        "search once its DOI is registered (`manage.py sync_dois`).",
        evaluate=_searchable,
        training=PAN_TRAINING + "open+data",
    ),
    Check(
        key="access",
        name="Access conditions",
        principle="A1",
        fuji_metric="FsF-A1-01M",
        weight=2,
        level=Level.RECORD,
        owner=Owner.SITE,
        looks_at="the access level stated with the COAR and info:eu-repo vocabularies, and the embargo end",
        why="People and machines need to know whether they can get the data, and from when.",
        fix="Stated on every published record; a withdrawn record keeps only its tombstone.",
        evaluate=_access,
        training=PAN_TRAINING + "data+policy",
    ),
    Check(
        key="retrievable",
        name="Data files retrievable",
        principle="A1",
        fuji_metric="FsF-A1-02MD",
        weight=4,
        level=Level.DATASET,
        owner=Owner.DATASET,
        looks_at="the dataset's files: at least one recorded, none missing or failing its checksum",
        why="A record whose files are gone cannot be reused.",
        fix="Restore the missing files on storage (see the fixity errors in the admin), then re-run ingestion.",
        evaluate=_retrievable,
        training=PAN_TRAINING + "data+management",
    ),
    Check(
        key="machine_readable",
        name="Machine-readable metadata",
        principle="I1",
        fuji_metric="FsF-I1-01M",
        weight=4,
        level=Level.RECORD,
        owner=Owner.SITE,
        looks_at="the forms served: schema.org JSON-LD always, DataCite XML and JSON with a DOI",
        why="Harvesters and FAIR tools read the structured forms, not the page.",
        fix="Cite it through a DOI (proposal or collection): its DataCite record then joins the JSON-LD.",
        evaluate=_machine_readable,
        training=PAN_TRAINING + "metadata+standards",
    ),
    Check(
        key="panet",
        name="PaNET techniques",
        principle="I2",
        fuji_metric="FsF-I2-01M",
        weight=3,
        level=Level.DATASET,
        owner=Owner.DATASET,
        looks_at="whether the dataset's techniques are PaNET terms",
        why="PaNET is the shared technique vocabulary of PaN facilities: the portal expands searches along it.",
        fix="Replace local technique names by PaNET terms.",
        evaluate=_panet,
        training=PAN_TRAINING + "PaNET",
        steward_action="add_technique",
    ),
    Check(
        key="orcid",
        name="Creators with ORCID",
        principle="I2",
        fuji_metric="FsF-I2-01M",
        weight=6,
        level=Level.RECORD,
        owner=Owner.PERSON,
        looks_at="the ORCID iDs of the proposal's creators",
        why="An ORCID iD credits the right person, however the name is spelt, and links the data to their work.",
        fix="Add the creators' ORCID iDs.",
        evaluate=_orcid,
        training=PAN_TRAINING + "ORCID",
        steward_action="set_orcid",
        scientist_field="orcid",
    ),
    Check(
        key="ror",
        name="Affiliations with ROR",
        principle="I2",
        fuji_metric="FsF-I2-01M",
        weight=3,
        level=Level.RECORD,
        owner=Owner.AFFILIATION,
        looks_at="the ROR ids of the creators' affiliations",
        why="ROR ids let institutions find and count the data their people produced.",
        fix="Add the ROR id (https://ror.org/…) of each affiliation.",
        evaluate=_ror,
        training=PAN_TRAINING + "ROR",
    ),
    Check(
        key="publication",
        name="Related publication",
        principle="I3",
        fuji_metric="FsF-I3-01M",
        weight=6,
        level=Level.RECORD,
        owner=Owner.PROPOSAL,
        looks_at="the works (papers) linked to the proposal or collection",
        why="Linking the paper lets readers of the paper find the data, and readers of the data find the paper.",
        fix="Link the paper's DOI to the proposal.",
        evaluate=_publication,
        training=PAN_TRAINING + "data+citation",
        steward_action="link_publication",
        scientist_field="publication",
    ),
    Check(
        key="inputs",
        name="Input datasets linked",
        principle="I3",
        fuji_metric="FsF-I3-01M",
        weight=2,
        level=Level.DATASET,
        owner=Owner.DATASET,
        looks_at="for derived data, the datasets it was computed from (raw data: not applicable)",
        why="Reprocessing needs the raw data a result came from.",
        fix="Link the input datasets in the dataset's provenance (admin).",
        evaluate=_inputs,
        training=PAN_TRAINING + "provenance",
    ),
    Check(
        key="instrument_pid",
        name="Instrument identifier",
        principle="I3",
        fuji_metric="FsF-I3-01M",
        weight=2,
        level=Level.DATASET,
        owner=Owner.INSTRUMENT,
        looks_at="whether the instrument has a persistent identifier (a DOI)",
        why="An instrument DOI links every dataset to a lasting description of the setup.",
        fix="Register the instrument with a DOI (PIDINST) and set it as the instrument's pid.",
        evaluate=_instrument_pid,
        training=PAN_TRAINING + "PIDINST",
    ),
    Check(
        key="licence",
        name="Licence",
        principle="R1.1",
        fuji_metric="FsF-R1.1-01M",
        weight=8,
        level=Level.RECORD,
        owner=Owner.PROPOSAL,
        looks_at="the licence chosen for the proposal (an SPDX id such as CC-BY-4.0)",
        why="Without a clear licence, others cannot know whether they may reuse the data.",
        fix="Choose the licence (CC-BY-4.0 is the usual one for open data).",
        evaluate=_licence,
        training=PAN_TRAINING + "licence",
        steward_action="set_licence",
    ),
    Check(
        key="provenance",
        name="Provenance",
        principle="R1.2",
        fuji_metric="FsF-R1.2-01M",
        weight=5,
        level=Level.DATASET,
        owner=Owner.DATASET,
        looks_at="the instrument, the software and version that wrote the data, and for derived data its inputs",
        why="To trust and reproduce a result, people need to know how it was produced.",
        fix="Record the software (the file's NXprogram or program_name with its version) and the inputs.",
        evaluate=_provenance,
        training=PAN_TRAINING + "provenance",
    ),
    Check(
        key="community_standard",
        name="NeXus application definition",
        principle="R1.3",
        fuji_metric="FsF-R1.3-01M",
        weight=5,
        level=Level.DATASET,
        owner=Owner.DATASET,
        looks_at="the NeXus application definitions the files declare (NXsas, NXmx…)",
        why="An application definition tells software exactly where to find each quantity.",
        fix="Write files that follow an application definition (definition field of NXentry).",
        evaluate=_community_standard,
        training=PAN_TRAINING + "NeXus",
    ),
    Check(
        key="file_format",
        name="Community file format",
        principle="R1.3",
        fuji_metric="FsF-R1.3-02D",
        weight=2,
        level=Level.DATASET,
        owner=Owner.DATASET,
        looks_at="the data's file format (NeXus/HDF5)",
        why="An open, documented format can still be read in twenty years.",
        fix="Convert the data to NeXus/HDF5.",
        evaluate=_file_format,
        training=PAN_TRAINING + "HDF5",
    ),
]
