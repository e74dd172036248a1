"""The FAIR score service: score a dataset or DOI, store the scores when the catalogue changes, and give stewards
their worklist, dashboard figures and daily snapshots (the checks: catalogue.fair.checks).
"""

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from catalogue.fair import facts as fair_facts
from catalogue.fair.checks import Owner
from catalogue.fair.scoring import BANDS, CHECKS_BY_KEY, Assessment, assess, band_of
from catalogue.models import (
    Dataset,
    DatasetFairScore,
    Document,
    DocumentFairScore,
    FairScoreCount,
    FairSnapshot,
    FairWorkItem,
    Instrument,
)

logger = logging.getLogger(__name__)

CHUNK = 500
# Checks a steward fixes by editing records; the others follow the site's setup (DataCite account, embargoes).
WORKLIST_CHECKS = [key for key, check in CHECKS_BY_KEY.items() if check.owner != Owner.SITE]
# Dataset fields without a bulk action: each dataset is an edit of its own.
_ONE_EDIT_PER_DATASET = [
    key
    for key, check in CHECKS_BY_KEY.items()
    if check.owner == Owner.DATASET and not check.steward_action and key in WORKLIST_CHECKS
]
HISTOGRAM_BINS = 10


def score_dataset(*, dataset: Dataset) -> Assessment:
    """The dataset's FAIR assessment from the catalogue as it is now (nothing is stored)."""
    return assess(fair_facts.dataset_facts([dataset.pk])[dataset.pk])


def score_document(*, document: Document) -> Assessment:
    """The DOI's (proposal's or collection's) assessment; its dataset-level checks read its datasets' stored scores."""
    return assess(fair_facts.document_facts([document.pk])[document.pk])


def _stored_results(assessment: Assessment) -> dict[str, list]:
    return {key: [result.earned, result.missing] for key, result in assessment.results.items()}


# The results travel as one JSON array (a text[] of JSON would be escaped element by element, client-side).
_UPSERT_DATASET_SCORES = """
INSERT INTO catalogue_datasetfairscore
    (dataset_id, score, results, computed_at, proposal_id, instrument_id, facility_id)
SELECT t.d, t.s, r.value, %(now)s, t.p, t.i, t.f
FROM unnest(%(datasets)s::bigint[], %(scores)s::float8[], %(proposals)s::bigint[], %(instruments)s::bigint[],
            %(facilities)s::bigint[]) WITH ORDINALITY AS t(d, s, p, i, f, n)
JOIN jsonb_array_elements(%(results)s::jsonb) WITH ORDINALITY AS r(value, n) USING (n)
ON CONFLICT (dataset_id) DO UPDATE
SET score = EXCLUDED.score, results = EXCLUDED.results, computed_at = EXCLUDED.computed_at,
    proposal_id = EXCLUDED.proposal_id, instrument_id = EXCLUDED.instrument_id, facility_id = EXCLUDED.facility_id
"""
_INSERT_GAPS = """
INSERT INTO catalogue_fairgap (dataset_id, check_key, gain, proposal_id, instrument_id, facility_id)
SELECT * FROM unnest(%s::bigint[], %s::text[], %s::float8[], %s::bigint[], %s::bigint[], %s::bigint[])
"""


class Gap(NamedTuple):
    dataset_id: int
    check_key: str
    gain: float  # rounded to 6 decimals, as stored
    proposal_id: int
    instrument_id: int | None
    facility_id: int | None


def store_dataset_scores(dataset_ids: list[int]) -> int:
    """Score these datasets and write their scores, gaps and the worklist's sums (one transaction; idempotent).
    Returns how many."""
    now = timezone.now()
    with transaction.atomic():
        keys = {
            pk: (proposal, instrument, facility or proposal_facility)
            for pk, proposal, instrument, facility, proposal_facility in Dataset.objects.filter(
                pk__in=dataset_ids
            ).values_list("pk", "proposal_id", "instrument_id", "instrument__facility_id", "proposal__facility_id")
        }
        columns: dict[str, list] = {name: [] for name in ("datasets", "scores", "proposals", "instruments")}
        columns["facilities"], results = [], []
        gaps: list[Gap] = []
        for pk, facts in fair_facts.dataset_facts(list(keys)).items():
            proposal, instrument, facility = keys[pk]
            assessment = assess(facts)
            for name, value in zip(columns, (pk, assessment.score, proposal, instrument, facility), strict=True):
                columns[name].append(value)
            results.append(_stored_results(assessment))
            gaps += [
                Gap(pk, key, round(gain, 6), proposal, instrument, facility) for key, gain in assessment.gains().items()
            ]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT facility_id, instrument_id, score FROM catalogue_datasetfairscore"
                " WHERE dataset_id = ANY(%s) ORDER BY dataset_id FOR UPDATE",
                [list(keys)],
            )
            replaced = cursor.fetchall()
            cursor.execute(_UPSERT_DATASET_SCORES, {"now": now, "results": json.dumps(results), **columns})
        added = zip(columns["facilities"], columns["instruments"], columns["scores"], strict=True)
        _add_to_score_counts(removed=replaced, added=list(added))
        _replace_gaps(list(keys), gaps)
    return len(columns["datasets"])


def forget_datasets(*, dataset_ids: list[int]) -> None:
    """Remove these datasets' scores and gaps with their share of the kept sums (before the datasets are
    deleted: the cascade would bypass the sums)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM catalogue_datasetfairscore WHERE dataset_id = ANY(%s)"
            " RETURNING facility_id, instrument_id, score",
            [dataset_ids],
        )
        _add_to_score_counts(removed=cursor.fetchall(), added=[])
        _replace_gaps(dataset_ids, [])


def _hundredth(score: float) -> int:
    return min(int(score * 100), 100)


_ADD_TO_SCORE_COUNTS = """
INSERT INTO catalogue_fairscorecount AS c (facility_id, instrument_id, hundredth, datasets)
SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::smallint[], %s::integer[])
ON CONFLICT (facility_id, instrument_id, hundredth) DO UPDATE SET datasets = c.datasets + EXCLUDED.datasets
"""


def _add_to_score_counts(*, removed: list[tuple], added: list[tuple]) -> None:
    """Move datasets between the hundredths they scored in (`removed`) and score in now (`added`), as (facility,
    instrument, score) rows."""
    deltas: dict[tuple[int | None, int | None, int], int] = defaultdict(int)
    for sign, rows in ((-1, removed), (1, added)):
        for facility, instrument, score in rows:
            deltas[facility, instrument, _hundredth(score)] += sign
    changed = sorted(((key, n) for key, n in deltas.items() if n), key=lambda kv: repr(kv[0]))
    if changed:
        columns = [list(column) for column in zip(*(key for key, _ in changed), strict=True)]
        with connection.cursor() as cursor:
            cursor.execute(_ADD_TO_SCORE_COUNTS, [*columns, [n for _, n in changed]])


def _replace_gaps(dataset_ids: list[int], gaps: list[Gap]) -> None:
    """Swap these datasets' stored gaps for `gaps` and add the difference to the work items; the caller's
    transaction makes the two one change."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM catalogue_fairgap WHERE dataset_id = ANY(%s)"
            " RETURNING dataset_id, check_key, gain, proposal_id, instrument_id, facility_id",
            [dataset_ids],
        )
        removed = [Gap(*row) for row in cursor.fetchall()]
        if gaps:
            cursor.execute(_INSERT_GAPS, [list(column) for column in zip(*gaps, strict=True)])
    _add_to_work_items(removed=removed, added=gaps)


def store_document_scores(document_ids: list[int]) -> int:
    """Score these proposals and collections (after their datasets) and write the scores. Returns how many."""
    now = timezone.now()
    with transaction.atomic():
        facilities = dict(Document.objects.filter(pk__in=document_ids).values_list("pk", "facility_id"))
        scores = []
        for pk, facts in fair_facts.document_facts(list(facilities)).items():
            assessment = assess(facts)
            scores.append(
                DocumentFairScore(
                    document_id=pk,
                    score=assessment.score,
                    results=_stored_results(assessment),
                    computed_at=now,
                    facility_id=facilities[pk],
                )
            )
        DocumentFairScore.objects.bulk_create(
            scores, update_conflicts=True, unique_fields=["document"], update_fields=["score", "results", "computed_at"]
        )
    return len(scores)


@dataclass(frozen=True)
class Changed:
    """What changed, by kind of record: the scores of everything that depends on them are recomputed."""

    datasets: tuple[int, ...] = ()
    documents: tuple[int, ...] = ()
    people: tuple[int, ...] = ()
    affiliations: tuple[int, ...] = ()
    instruments: tuple[int, ...] = ()
    samples: tuple[int, ...] = ()

    def as_json(self) -> dict[str, list[int]]:
        return {name: sorted(getattr(self, name)) for name in self.__dataclass_fields__ if getattr(self, name)}


def affected_datasets(changed: Changed) -> QuerySet[Dataset]:
    """Datasets whose score depends on what changed: their own rows, proposal, team, instrument or samples."""
    documents = Document.objects.filter(
        Q(pk__in=changed.documents)
        | Q(members__person__in=changed.people)
        | Q(members__affiliation__in=changed.affiliations)
    )
    return Dataset.objects.filter(
        Q(pk__in=changed.datasets)
        | Q(proposal__in=documents.values("pk"))
        | Q(collections__in=changed.documents)
        | Q(instrument__in=changed.instruments)
        | Q(samples__in=changed.samples)
    ).distinct()


def affected_documents(changed: Changed, dataset_ids: QuerySet) -> QuerySet[Document]:
    """DOIs whose score depends on what changed: their own rows and team, and the datasets they hold."""
    return Document.objects.filter(
        Q(pk__in=changed.documents)
        | Q(members__person__in=changed.people)
        | Q(members__affiliation__in=changed.affiliations)
        | Q(datasets__in=dataset_ids)
        | Q(collected_datasets__in=dataset_ids)
    ).distinct()


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    chunk: list[int] = []
    for pk in ids:
        chunk.append(pk)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass(frozen=True)
class Recomputed:
    datasets: int
    documents: int


def recompute(changed: Changed) -> Recomputed:
    """Rescore everything that depends on `changed`, datasets first (a DOI reads its datasets' scores), in chunks
    of their own transactions; safe to run twice or concurrently (each chunk rewrites its rows whole)."""
    dataset_ids = list(affected_datasets(changed).order_by("pk").values_list("pk", flat=True))
    datasets = sum(store_dataset_scores(chunk) for chunk in _chunks(dataset_ids))
    document_ids = affected_documents(changed, Dataset.objects.filter(pk__in=dataset_ids).values("pk"))
    documents = sum(
        store_document_scores(chunk) for chunk in _chunks(document_ids.order_by("pk").values_list("pk", flat=True))
    )
    return Recomputed(datasets=datasets, documents=documents)


SWEEP_DATASETS = 20_000
_SWEEP_LOCK = 0x66616972  # pg_advisory_lock key of the sweep ("fair" in ASCII)


def score_unscored(*, limit: int = SWEEP_DATASETS) -> Recomputed:
    """Score up to `limit` datasets that have no score yet (bulk loads, rows written before an upgrade), a
    proposal's datasets together, then the DOIs holding them; once no dataset is left, the DOIs without a score.
    Each chunk commits on its own, so a sweep stopped half-way loses nothing. One sweep at a time (an advisory
    lock): a second one returns at once with nothing done."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_SWEEP_LOCK])
        if not cursor.fetchone()[0]:
            return Recomputed(datasets=0, documents=0)
    try:
        datasets = list(
            Dataset.objects.filter(fair_score__isnull=True)
            .order_by("proposal_id", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        scored = sum(store_dataset_scores(chunk) for chunk in _chunks(datasets))
        documents = set(
            affected_documents(Changed(), Dataset.objects.filter(pk__in=datasets).values("pk")).values_list(
                "pk", flat=True
            )
        )
        if len(datasets) < limit:
            unscored = Document.objects.filter(fair_score__isnull=True).values_list("pk", flat=True)[:limit]
            documents.update(unscored)
        return Recomputed(
            datasets=scored, documents=sum(store_document_scores(chunk) for chunk in _chunks(sorted(documents)))
        )
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_SWEEP_LOCK])


# --- The stewards' worklist ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkItem:
    check: str
    proposal_id: int | None  # the proposal whose records the fix edits (None: an instrument's)
    instrument_id: int | None
    datasets: int
    edits: int
    gain: float  # summed over the datasets
    lacking: int | None = None  # people without ORCID iD / affiliations without ROR id; None: nobody is listed
    proposal_label: str = ""
    instrument_label: str = ""

    @property
    def gain_per_dataset(self) -> float:
        return self.gain / self.datasets

    @property
    def gain_per_edit(self) -> float:
        return self.gain / self.edits

    @property
    def name(self) -> str:
        return CHECKS_BY_KEY[self.check].name

    @property
    def what(self) -> str:
        """The fix in the worklist's words, e.g. 'add ORCID iDs for 12 people of proposal mx1234'."""
        target = f"instrument {self.instrument_label}" if self.instrument_id else f"proposal {self.proposal_label}"
        owner = CHECKS_BY_KEY[self.check].owner
        if owner == Owner.PERSON:
            if self.lacking is None:
                return f"list the creators of {target}, with their ORCID iDs"
            return f"add ORCID iDs for {self.edits} {'person' if self.edits == 1 else 'people'} of {target}"
        if owner == Owner.AFFILIATION:
            if self.lacking is None:
                return f"give the creators of {target} their affiliations, with ROR ids"
            return f"add ROR ids for {self.edits} affiliation{'s' if self.edits != 1 else ''} of {target}"
        if owner == Owner.PROPOSAL:
            return f"{self.name}: edit {target}"
        if owner == Owner.INSTRUMENT:
            return f"{self.name}: register {target}"
        if self.edits == 1:
            return f"{self.name}: one bulk action on the {self.datasets} datasets of {target}"
        return f"{self.name}: edit {self.edits} datasets of {target}"


# Instrument checks are one fix per instrument (registering it), whatever proposal its datasets belong to.
_BY_INSTRUMENT = [key for key, check in CHECKS_BY_KEY.items() if check.owner == Owner.INSTRUMENT]
# A work item's key: site-wide or not, facility, check, proposal (None for instrument checks), instrument.
WorkKey = tuple[bool, int | None, str, int | None, int | None]

_ADD_TO_WORK_ITEMS = """
INSERT INTO catalogue_fairworkitem AS w
    (site_wide, facility_id, check_key, proposal_id, instrument_id, datasets, gain_micro, edits, priority)
SELECT s, f, c, p, i, n, g, 1, 0
FROM unnest(%s::bool[], %s::bigint[], %s::text[], %s::bigint[], %s::bigint[], %s::integer[], %s::bigint[])
    AS t(s, f, c, p, i, n, g)
ON CONFLICT (site_wide, facility_id, check_key, proposal_id, instrument_id) DO UPDATE
SET datasets = w.datasets + EXCLUDED.datasets, gain_micro = w.gain_micro + EXCLUDED.gain_micro
RETURNING w.id, w.datasets
"""
_RECOUNT_WORK_ITEMS = """
INSERT INTO catalogue_fairworkitem
    (site_wide, facility_id, check_key, proposal_id, instrument_id, datasets, gain_micro, edits, priority)
SELECT GROUPING(facility_id) = 1, facility_id, check_key, proposal_id, instrument_id,
       count(*), sum(round(gain * 1000000))::bigint, 1, 0
FROM (
    SELECT facility_id, check_key, gain,
           CASE WHEN check_key = ANY(%(by_instrument)s) THEN NULL ELSE proposal_id END AS proposal_id,
           CASE WHEN check_key = ANY(%(by_instrument)s) THEN instrument_id END AS instrument_id
    FROM catalogue_fairgap WHERE check_key = ANY(%(checks)s)
) g
GROUP BY GROUPING SETS ((facility_id, check_key, proposal_id, instrument_id), (check_key, proposal_id, instrument_id))
"""
# Edits: one per person without ORCID iD (per affiliation without ROR id) of the proposal, one per dataset for
# dataset fields without a bulk action, one otherwise; `lacking` is null when nobody is listed.
_COUNT_EDITS = """
UPDATE catalogue_fairworkitem w
SET lacking = e.lacking, edits = e.edits, priority = w.gain_micro::float8 / 1000000 / e.edits
FROM (
    SELECT l.id, l.lacking, GREATEST(1, CASE
        WHEN l.check_key IN ('orcid', 'ror') THEN COALESCE(l.lacking, 1)
        WHEN l.check_key = ANY(%(per_dataset)s) THEN l.datasets
        ELSE 1 END) AS edits
    FROM (
        SELECT w.id, w.check_key, w.datasets, CASE w.check_key
            WHEN 'orcid' THEN (
                SELECT NULLIF(count(DISTINCT m.person_id), 0)
                FROM catalogue_member m JOIN catalogue_person p ON p.id = m.person_id
                WHERE m.document_id = w.proposal_id AND m.is_creator AND p.orcid = '')
            WHEN 'ror' THEN (
                SELECT NULLIF(count(DISTINCT m.affiliation_id), 0)
                FROM catalogue_member m JOIN catalogue_affiliation a ON a.id = m.affiliation_id
                WHERE m.document_id = w.proposal_id AND m.is_creator AND a.ror_id = '')
            END AS lacking
        FROM catalogue_fairworkitem w
        WHERE %(every)s OR w.id IN (
            SELECT unnest(%(ids)s::bigint[])
            UNION ALL SELECT id FROM catalogue_fairworkitem WHERE proposal_id = ANY(%(proposals)s::bigint[])
        )
    ) l
) e
WHERE w.id = e.id
"""


def _work_keys(gap: Gap) -> tuple[WorkKey, WorkKey]:
    by_instrument = gap.check_key in _BY_INSTRUMENT
    proposal, instrument = (None, gap.instrument_id) if by_instrument else (gap.proposal_id, None)
    return (False, gap.facility_id, gap.check_key, proposal, instrument), (
        True,
        None,
        gap.check_key,
        proposal,
        instrument,
    )


def _add_to_work_items(*, removed: list[Gap], added: list[Gap]) -> None:
    deltas: dict[WorkKey, list[int]] = defaultdict(lambda: [0, 0])
    proposals: set[int] = set()
    for sign, gaps in ((-1, removed), (1, added)):
        for gap in gaps:
            if gap.check_key not in WORKLIST_CHECKS:
                continue
            proposals.add(gap.proposal_id)
            micro = round(gap.gain * 1_000_000)
            for key in _work_keys(gap):
                deltas[key][0] += sign
                deltas[key][1] += sign * micro
    # In one order for every writer, so two transactions on the same items wait for each other, never deadlock.
    changed = sorted(((key, delta) for key, delta in deltas.items() if delta != [0, 0]), key=lambda kv: repr(kv[0]))
    ids: list[int] = []
    with connection.cursor() as cursor:
        if changed:
            columns = [list(column) for column in zip(*(key for key, _ in changed), strict=True)]
            columns += [[delta[0] for _, delta in changed], [delta[1] for _, delta in changed]]
            cursor.execute(_ADD_TO_WORK_ITEMS, columns)
            rows = cursor.fetchall()
            if any(n < 0 for _, n in rows):
                raise RuntimeError("FAIR work items out of step with the gaps: run fair.recount_sums()")
            cursor.execute("DELETE FROM catalogue_fairworkitem WHERE id = ANY(%s)", [[pk for pk, n in rows if n == 0]])
            ids = [pk for pk, n in rows if n]
        if ids or proposals:
            cursor.execute(
                _COUNT_EDITS,
                {"per_dataset": _ONE_EDIT_PER_DATASET, "every": False, "ids": ids, "proposals": sorted(proposals)},
            )


_RECOUNT_SCORE_COUNTS = """
INSERT INTO catalogue_fairscorecount (facility_id, instrument_id, hundredth, datasets)
SELECT facility_id, instrument_id, LEAST(floor(score * 100), 100), count(*)
FROM catalogue_datasetfairscore GROUP BY 1, 2, 3
"""


def recount_sums() -> None:
    """Rebuild the kept sums (the worklist's items, the datasets per score) from every stored score and gap: after
    a bulk load that bypassed the service, and what the kept sums must always equal. One transaction."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM catalogue_fairworkitem")
        cursor.execute(_RECOUNT_WORK_ITEMS, {"by_instrument": _BY_INSTRUMENT, "checks": WORKLIST_CHECKS})
        cursor.execute(_COUNT_EDITS, {"per_dataset": _ONE_EDIT_PER_DATASET, "every": True, "ids": [], "proposals": []})
        cursor.execute("DELETE FROM catalogue_fairscorecount")
        cursor.execute(_RECOUNT_SCORE_COUNTS)


def worklist(*, facility_id: int | None = None, limit: int = 30) -> list[WorkItem]:
    """The fixes that raise the facility's scores most per edit, best first: the first rows of the kept sums'
    index (fair_work_item_site, fair_work_item_facility)."""
    items = (
        FairWorkItem.objects.filter(site_wide=True)
        if facility_id is None
        else FairWorkItem.objects.filter(site_wide=False, facility_id=facility_id)
    )
    rows = (
        items.select_related("proposal", "instrument")
        .only(
            *("check_key", "proposal", "instrument", "datasets", "edits", "gain_micro", "lacking"),
            *("proposal__proposal_number", "proposal__pid", "instrument__name"),
        )
        .order_by(F("priority").desc(), F("gain_micro").desc(), "check_key", "proposal_id", "instrument_id")
    )[:limit]
    return [
        WorkItem(
            check=row.check_key,
            proposal_id=row.proposal_id,
            instrument_id=row.instrument_id,
            datasets=row.datasets,
            edits=row.edits,
            gain=row.gain_micro / 1_000_000,
            lacking=row.lacking,
            proposal_label=(row.proposal.proposal_number or row.proposal.pid) if row.proposal else "",
            instrument_label=row.instrument.name if row.instrument else "",
        )
        for row in rows
    ]


# --- Dashboard figures and daily snapshots ---------------------------------------------------------------------


@dataclass(frozen=True)
class Distribution:
    instrument_id: int | None
    label: str
    histogram: list[int]  # datasets per tenth of the score

    @property
    def datasets(self) -> int:
        return sum(self.histogram)

    @property
    def mean(self) -> float:
        return sum((index + 0.5) / HISTOGRAM_BINS * n for index, n in enumerate(self.histogram)) / self.datasets


def _bucket_sql() -> str:
    return f"LEAST(width_bucket(score, 0, 1, {HISTOGRAM_BINS}), {HISTOGRAM_BINS}) - 1"


def distributions(*, facility_id: int | None = None) -> list[Distribution]:
    """Histogram of the dataset scores per instrument (from the kept counts per hundredth)."""
    counts = FairScoreCount.objects.filter(datasets__gt=0)
    if facility_id is not None:
        counts = counts.filter(facility_id=facility_id)
    histograms: dict[int | None, list[int]] = {}
    for instrument, hundredth, datasets in counts.values_list("instrument_id", "hundredth", "datasets"):
        bucket = min(hundredth * HISTOGRAM_BINS // 100, HISTOGRAM_BINS - 1)
        histograms.setdefault(instrument, [0] * HISTOGRAM_BINS)[bucket] += datasets
    labels = {
        instrument.pk: str(instrument)
        for instrument in Instrument.objects.filter(pk__in=[pk for pk in histograms if pk]).select_related("facility")
    }
    result = [
        Distribution(instrument_id=pk, label=labels.get(pk, "no instrument") if pk else "no instrument", histogram=h)
        for pk, h in histograms.items()
    ]
    return sorted(result, key=lambda d: d.label.lower())


def take_snapshot(*, day: date | None = None) -> int:
    """Record today's distribution per instrument and for the whole site (idempotent: rewrites the day's rows)."""
    day = day or timezone.localdate()
    buckets = ", ".join(
        f"count(*) FILTER (WHERE {_bucket_sql()} = {index})::integer" for index in range(HISTOGRAM_BINS)
    )
    sql = f"""
        INSERT INTO catalogue_fairsnapshot (day, facility_id, instrument_id, datasets, mean, histogram)
        SELECT %(day)s, s.facility_id, s.instrument_id, count(*), avg(s.score), ARRAY[{buckets}]
        FROM catalogue_datasetfairscore s
        GROUP BY GROUPING SETS ((s.facility_id, s.instrument_id), ())
        ON CONFLICT (day, facility_id, instrument_id) DO UPDATE
        SET datasets = EXCLUDED.datasets, mean = EXCLUDED.mean, histogram = EXCLUDED.histogram
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, {"day": day})
        return cursor.rowcount


def snapshots(*, facility_id: int | None = None, days: int = 365) -> QuerySet[FairSnapshot]:
    """The daily snapshots of the last `days` days, per instrument (facility_id given) or site-wide and per
    instrument."""
    since = timezone.localdate().toordinal() - days
    rows = FairSnapshot.objects.filter(day__gte=date.fromordinal(since)).select_related("instrument__facility")
    if facility_id is not None:
        rows = rows.filter(facility_id=facility_id)
    return rows.order_by("day")


def band_counts(*, facility_id: int | None = None) -> dict[str, int]:
    """Datasets per score band (from the kept counts per hundredth)."""
    counts = (
        FairScoreCount.objects.all() if facility_id is None else FairScoreCount.objects.filter(facility_id=facility_id)
    )
    bands = dict.fromkeys((band for band, _ in BANDS), 0)
    for hundredth, datasets in counts.values_list("hundredth", "datasets"):
        bands[band_of(hundredth / 100)] += datasets
    return bands


# --- The breakdown as pages, the REST API and the JSON export show it -------------------------------------------


@dataclass(frozen=True)
class CheckView:
    key: str
    name: str
    principle: str
    fuji_metric: str | None
    weight: int
    earned: float | None
    missing: str
    looks_at: str
    why: str
    fix: str
    training: str
    scientist_field: str

    @property
    def passed(self) -> bool:
        return self.earned is None or self.earned >= 1


@dataclass(frozen=True)
class Breakdown:
    score: float
    band: str
    computed_at: datetime | None
    checks: list[CheckView]

    @property
    def missing(self) -> list[CheckView]:
        """Checks not fully met, heaviest loss first."""
        failing = [check for check in self.checks if not check.passed]
        return sorted(failing, key=lambda c: -(c.weight * (1 - (c.earned or 0))))

    def as_json(self) -> dict:
        return {
            "score": self.score,
            "band": self.band,
            "computed_at": self.computed_at.isoformat() if self.computed_at else None,
            "checks": [
                {
                    "key": c.key,
                    "name": c.name,
                    "principle": c.principle,
                    "fuji_metric": c.fuji_metric,
                    "weight": c.weight,
                    "earned": c.earned,
                    "missing": c.missing,
                    "fix": c.fix,
                }
                for c in self.checks
            ],
        }


def breakdown(stored: DatasetFairScore | DocumentFairScore | None) -> Breakdown | None:
    """A stored score with its checks in the declared order; None while the record is not scored yet."""
    if stored is None:
        return None
    checks = []
    for key, check in CHECKS_BY_KEY.items():
        earned, missing = stored.results.get(key, [None, ""])
        checks.append(
            CheckView(
                key=key,
                name=check.name,
                principle=check.principle,
                fuji_metric=check.fuji_metric,
                weight=check.weight,
                earned=earned,
                missing=missing,
                looks_at=check.looks_at,
                why=check.why,
                fix=check.fix,
                training=check.training,
                scientist_field=check.scientist_field,
            )
        )
    return Breakdown(score=stored.score, band=band_of(stored.score), computed_at=stored.computed_at, checks=checks)


def stored_dataset_score(dataset: Dataset) -> DatasetFairScore | None:
    return DatasetFairScore.objects.filter(dataset=dataset).first()


def stored_document_score(document: Document) -> DocumentFairScore | None:
    return DocumentFairScore.objects.filter(document=document).first()
