"""A catalogue of ten real datasets of graded completeness, from complete to bare, for FAIR judges (benchmarks/fair.py).

    DATABASE_URL=postgres://…/pc_fair .venv/bin/python benchmarks/fair_catalogue.py [--samples DIR]

Writes to the database DATABASE_URL names (migrated; use one of its own: the script refuses a database that holds
datasets). Each dataset is a real sample file ingested for real, then moved into a proposal of its own and curated
down to its grade. Prints the graded list as JSON (grade, what it lacks, dataset pid, DOI, whether the DOI resolves,
and our own FAIR score of the dataset and of its DOI, catalogue.services.fair).
"""

import argparse
import json
import os
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pancommons.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402

from catalogue import panet  # noqa: E402
from catalogue.management.commands.load_facilities import DEFAULT_REGISTRY  # noqa: E402
from catalogue.models import (  # noqa: E402
    Affiliation,
    Dataset,
    Document,
    DocumentKind,
    DoiState,
    Member,
    Person,
    RelatedWork,
    Sample,
    Technique,
)
from catalogue.services import facilities, fair, opening, techniques  # noqa: E402
from ingest import services as ingestion  # noqa: E402
from landing.services import dois  # noqa: E402

# (grade, sample file, what the grade lacks), from complete to bare. Every DOI resolves through the benchmark's
# doi.org stand-in except the drafts'.
GRADES = [
    ("complete", "NXcanSAS_examples/DLS_I22_gc14.h5", ()),
    ("no funding or papers", "NXcanSAS_examples/ILL_D22_sasxml_example.h5", ("funding", "papers")),
    ("no ORCIDs", "punx/NIST_SANS_cs_af1410.h5", ("funding", "papers", "orcid")),
    ("no keywords or techniques", "sasdata/APS_Nika_FK403_0006.hdf", ("funding", "papers", "keywords")),
    ("no abstract", "exampledata/IPNS_LRMECS_lrcs3701.nx5", ("funding", "papers", "keywords", "abstract")),
    ("no people", "exampledata/PSI_SINQ_DMC_dmc01.h5", ("funding", "papers", "keywords", "abstract", "people")),
    (
        "no samples or parameters",
        "sasdata/ISIS_LARMOR_14250_2D_NXcanSAS_v3.h5",
        ("funding", "papers", "keywords", "abstract", "people", "samples"),
    ),
    ("complete but a draft DOI", "pynxtools-xps/BESSY_Cu-HHTP.ibw.nxs", ("draft",)),
    (
        "draft DOI, nothing curated",
        "exampledata/PSI_SINQ_FOCUS_focus2007n001335.hdf",
        ("draft", "funding", "papers", "keywords", "abstract", "people", "samples"),
    ),
    (
        "bare",
        "scicat-ingestor/ESS_YMIR_small-ymir.hdf",
        ("draft", "funding", "papers", "keywords", "abstract", "people", "samples", "checksums", "instrument"),
    ),
]


@dataclass(frozen=True)
class Graded:
    grade: str
    lacks: tuple[str, ...]
    dataset_pid: str
    doi: str
    doi_resolves: bool
    sample_file: str
    ours_dataset: float  # our own FAIR score (issue 21), 0–100, of the dataset as curated here
    ours_document: float  # … and of its DOI


def build(samples: Path) -> list[Graded]:
    if Dataset.objects.exists():
        raise SystemExit("this database already holds datasets: give the benchmark a database of its own")
    facilities.load_registry(path=DEFAULT_REGISTRY)
    techniques.load_panet(vocabulary=panet.vocabulary())
    return [_graded(number, grade, samples, relative, lacks) for number, (grade, relative, lacks) in enumerate(GRADES)]


def _graded(number: int, grade: str, samples: Path, relative: str, lacks: tuple[str, ...]) -> Graded:
    path = samples / relative
    job = ingestion.run_job(job_id=ingestion.create_job(path=path, source_folder=path.parent).pk)
    if job.dataset is None:
        raise SystemExit(f"{path} did not ingest: {job.error}")
    dataset = Dataset.objects.select_related("instrument__facility").get(pk=job.dataset.pk)
    facility = dataset.instrument.facility if dataset.instrument else None
    proposal = Document.objects.create(
        kind=DocumentKind.PROPOSAL,
        pid=f"fair/proposal/{number + 1:02d}",
        proposal_number=f"FAIR-{number + 1:02d}",
        facility=facility,
        title=f"{dataset.title} ({grade})",
        summary="" if "abstract" in lacks else _abstract(dataset),
        keywords=[] if "keywords" in lacks else ["small-angle scattering", "reference sample", "NeXus"],
        licence="CC-BY-4.0",
        funding=[]
        if "funding" in lacks
        else [
            {
                "funder_name": "European Commission",
                "funder_ror": "https://ror.org/00k4n6c32",
                "award_number": "101004728",
            }
        ],
    )
    Dataset.objects.filter(pk=dataset.pk).update(
        proposal=proposal,
        description="" if "abstract" in lacks else _abstract(dataset),
        keywords=[] if "keywords" in lacks else ["reference measurement"],
        software_name=dataset.software_name or "GDA",
        software_version=dataset.software_version or "9.30",
    )
    dataset.refresh_from_db()
    _people(proposal, lacks)
    _subjects(dataset, lacks)
    if "papers" not in lacks:
        RelatedWork.objects.create(
            document=proposal,
            identifier="10.1107/S1600576719002267",
            relation_type=RelatedWork.Relation.IS_CITED_BY,
            title="A reference paper using these data",
        )
    if "checksums" in lacks:
        dataset.files.update(checksum="", checksum_algorithm="")
    if "instrument" in lacks:
        Dataset.objects.filter(pk=dataset.pk).update(instrument=None)
    opening.open_now(proposal, by=None)  # every file here is public: embargoes would hide them from the judges
    dois.assign_doi(document_id=proposal.pk)
    state = DoiState.LOCAL_DRAFT if "draft" in lacks else DoiState.FINDABLE
    Document.objects.filter(pk=proposal.pk).update(doi_state=state)
    proposal.refresh_from_db()
    fair.store_dataset_scores([dataset.pk])  # a DOI's score reads its datasets' stored ones (no worker runs here)
    return Graded(
        grade=grade,
        lacks=lacks,
        dataset_pid=dataset.pid,
        doi=proposal.doi or "",
        doi_resolves=state == DoiState.FINDABLE,
        sample_file=relative,
        ours_dataset=round(100 * fair.score_dataset(dataset=Dataset.objects.get(pk=dataset.pk)).score, 1),
        ours_document=round(100 * fair.score_document(document=proposal).score, 1),
    )


def _abstract(dataset: Dataset) -> str:
    return (
        f"{dataset.title}: a reference measurement recorded as NeXus at {settings.HOME_FACILITY}, "
        "published with its raw files, checksums and the instrument's metadata for reuse and method comparison."
    )


def _people(proposal: Document, lacks: tuple[str, ...]) -> None:
    if "people" in lacks:
        return
    team = [
        ("Ada", "Lovelace", "0000-0002-1825-0097", "Lund University", "https://ror.org/012a77v79"),
        ("Grace", "Hopper", "0000-0001-5109-3700", "Paul Scherrer Institute", "https://ror.org/03eh3y714"),
    ]
    for position, (first, last, orcid, affiliation, ror) in enumerate(team):
        person = Person.objects.create(
            full_name=f"{first} {last}", first_name=first, last_name=last, orcid="" if "orcid" in lacks else orcid
        )
        place, _ = Affiliation.objects.get_or_create(name=affiliation, defaults={"ror_id": ror})
        Member.objects.create(document=proposal, person=person, affiliation=place, position=position)


def _subjects(dataset: Dataset, lacks: tuple[str, ...]) -> None:
    if "keywords" in lacks:
        dataset.techniques.clear()
    elif not dataset.techniques.exists():
        dataset.techniques.add(Technique.objects.get(panet_id="PaNET01188"))  # small angle x-ray scattering
    if "samples" in lacks:
        dataset.samples.clear()
        dataset.parameters.all().delete()
    elif not dataset.samples.exists():
        sample = Sample.objects.create(
            pid=f"fair/sample/{dataset.pk}", name="glassy carbon reference", chemical_formula="C"
        )
        dataset.samples.add(sample)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=Path, default=Path(settings.NEXUS_SAMPLES_DIR))
    args = parser.parse_args()
    started = datetime.now(UTC)
    graded = build(args.samples)
    print(json.dumps({"built": started.isoformat(), "datasets": [asdict(item) for item in graded]}, indent=2))


if __name__ == "__main__":
    main()
