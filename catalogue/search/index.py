"""Keeps the relevance index (catalogue.models.search) in step with the catalogue: tf per (term, item), df per term
and N per group, for public items only (spec §6.2–6.3). Idempotent: reindexing an item twice changes nothing.
"""

import io
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import islice

from django.db import connection, transaction
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.utils import timezone

from catalogue import visibility
from catalogue.models import (
    Dataset,
    DatasetFacets,
    DatasetPosting,
    Document,
    DocumentPosting,
    Instrument,
    InstrumentPosting,
    Member,
    Parameter,
    SearchGroup,
    SearchIndexState,
    SearchTerm,
)
from catalogue.search.terms import term_frequencies

BATCH = 2000


@dataclass(frozen=True)
class GroupIndex:
    model: type[Model]
    posting: type[Model]
    item_field: str  # the posting's foreign key to the item, e.g. "dataset"
    public: Callable[[], QuerySet]  # the items indexed (catalogue.visibility)
    recency: str  # newest first among ties of score: the date that tells a reader which record is more recent
    fallback_text: tuple[str, ...]  # the fields scored by substrings while the index was never built


GROUPS = {
    SearchGroup.DATASETS: GroupIndex(
        Dataset, DatasetPosting, "dataset", visibility.open_datasets, "creation_time", ("title", "description")
    ),
    SearchGroup.DOCUMENTS: GroupIndex(
        Document, DocumentPosting, "document", visibility.open_documents, "start_date", ("title", "summary")
    ),
    SearchGroup.INSTRUMENTS: GroupIndex(
        Instrument, InstrumentPosting, "instrument", visibility.public_instruments, "name", ("name", "description")
    ),
}


def _join(parts: Iterable[object]) -> str:
    return "\n".join(str(part) for part in parts if part)


def dataset_texts(ids: list[int], *, with_proposal_title: bool = True) -> dict[int, str]:
    """The scored text of each dataset (spec §6.2, Datasets), built in four queries per batch."""
    texts: dict[int, list[str]] = {}
    rows = Dataset.objects.filter(pk__in=ids).values_list(
        "pk", "title", "description", "keywords", "instrument__name", "proposal__title"
    )
    for pk, title, description, keywords, instrument, proposal_title in rows:
        texts[pk] = [title, description, *keywords, instrument or "", proposal_title if with_proposal_title else ""]
    for pk, name, alt_labels in Dataset.techniques.through.objects.filter(dataset_id__in=ids).values_list(
        "dataset_id", "technique__name", "technique__alt_labels"
    ):
        texts[pk].extend([name, *alt_labels])
    for pk, name, description in Dataset.samples.through.objects.filter(dataset_id__in=ids).values_list(
        "dataset_id", "sample__name", "sample__description"
    ):
        texts[pk].extend([name, description])
    for pk, name, value_text in Parameter.objects.filter(dataset_id__in=ids).values_list(
        "dataset_id", "name", "value_text"
    ):
        texts[pk].extend([name, value_text or ""])
    return {pk: _join(parts) for pk, parts in texts.items()}


def document_texts(ids: list[int]) -> dict[int, str]:
    """Title, summary, keywords, DOI, members, and the text of every open dataset it holds (spec §6.2, Documents)."""
    texts: dict[int, list[str]] = {}
    for pk, title, summary, keywords, doi in Document.objects.filter(pk__in=ids).values_list(
        "pk", "title", "summary", "keywords", "doi"
    ):
        texts[pk] = [title, summary, *keywords, doi or ""]
    for pk, full_name in Member.objects.filter(document_id__in=ids).values_list("document_id", "person__full_name"):
        texts[pk].append(full_name)
    held: dict[int, set[int]] = {}
    open_ids = visibility.open_datasets().values("pk")
    for dataset_id, document_id in Dataset.objects.filter(pk__in=open_ids, proposal_id__in=ids).values_list(
        "pk", "proposal_id"
    ):
        held.setdefault(dataset_id, set()).add(document_id)
    for dataset_id, document_id in Document.collected_datasets.through.objects.filter(
        document_id__in=ids, dataset_id__in=open_ids
    ).values_list("dataset_id", "document_id"):
        held.setdefault(dataset_id, set()).add(document_id)
    dataset_ids = list(held)
    for start in range(0, len(dataset_ids), BATCH):
        chunk = dataset_ids[start : start + BATCH]
        for dataset_id, text in dataset_texts(chunk, with_proposal_title=False).items():
            for document_id in held[dataset_id]:
                texts[document_id].append(text)
    return {pk: _join(parts) for pk, parts in texts.items()}


def instrument_texts(ids: list[int]) -> dict[int, str]:
    rows = Instrument.objects.filter(pk__in=ids).values_list(
        "pk", "name", "facility__short_name", "facility__name", "description"
    )
    return {pk: _join(parts) for pk, *parts in rows}


TEXTS = {
    SearchGroup.DATASETS: dataset_texts,
    SearchGroup.DOCUMENTS: document_texts,
    SearchGroup.INSTRUMENTS: instrument_texts,
}


def _lock_items(group: SearchGroup, ids: list[int]) -> None:
    # One advisory lock per item, taken in order, so two workers reindexing the same item never interleave.
    offset = list(SearchGroup).index(group) << 48
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k ORDER BY k",
            [[offset + pk for pk in sorted(ids)]],
        )


def _lock_facet_rows(dataset_ids: list[int]) -> None:
    # Each new posting takes its dataset's facet group under a share lock on the facet row (sql/posting_groups.sql), and
    # a writer of that row updates the dataset's postings. Taken here first, in order, before the old postings are
    # deleted: taken per posting after them, a writer waiting on those deleted rows would deadlock with us.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {DatasetFacets._meta.db_table} WHERE dataset_id = ANY(%s) ORDER BY dataset_id FOR SHARE",
            [dataset_ids],
        )


def _frequencies(group: SearchGroup, ids: list[int]) -> tuple[dict[int, dict[str, float]], dict[str, int]]:
    """The items' term frequencies (those with any term), and the id of each term, created if new."""
    frequencies = {pk: term_frequencies(text) for pk, text in TEXTS[group](ids).items()}
    frequencies = {pk: tf for pk, tf in frequencies.items() if tf}
    words = {word for tf in frequencies.values() for word in tf}
    SearchTerm.objects.bulk_create(
        [SearchTerm(group=group, term=word) for word in sorted(words)], ignore_conflicts=True, batch_size=BATCH
    )
    return frequencies, dict(SearchTerm.objects.filter(group=group, term__in=words).values_list("term", "pk"))


def reindex(*, group: SearchGroup, ids: Iterable[int], forget: bool = False) -> None:
    """Replace the postings of these items with their current text, or drop them if they are no longer public
    (or `forget`: about to be deleted).

    Keeps df and N by deltas in the same transaction; items that no longer exist are simply dropped.
    """
    ids = sorted(set(ids))
    if not ids:
        return
    config = GROUPS[group]
    with transaction.atomic():
        _lock_items(group, ids)
        if group == SearchGroup.DATASETS:
            _lock_facet_rows(ids)
        public_ids = [] if forget else list(config.public().filter(pk__in=ids).values_list("pk", flat=True))
        frequencies, term_ids = _frequencies(group, public_ids)
        item_filter = Q(**{f"{config.item_field}_id__in": ids})
        old = list(
            config.posting._default_manager.filter(item_filter).values_list("term_id", f"{config.item_field}_id")
        )
        config.posting._default_manager.filter(item_filter).delete()
        config.posting._default_manager.bulk_create(
            [
                config.posting(term_id=term_ids[word], tf=value, **{f"{config.item_field}_id": pk})
                for pk, tf in frequencies.items()
                for word, value in tf.items()
            ],
            batch_size=BATCH,
        )
        deltas = Counter(term_ids[word] for tf in frequencies.values() for word in tf)
        deltas.subtract(term_id for term_id, _ in old)
        _apply_deltas(deltas)
        item_delta = len(frequencies) - len({pk for _, pk in old})
        _touch_state(group, item_delta)


def _apply_deltas(deltas: Counter[int]) -> None:
    changed = sorted((term_id, delta) for term_id, delta in deltas.items() if delta)
    if not changed:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {SearchTerm._meta.db_table} AS t SET document_frequency = t.document_frequency + d.delta "
            "FROM unnest(%s::bigint[], %s::int[]) AS d(id, delta) WHERE t.id = d.id",
            [[term_id for term_id, _ in changed], [delta for _, delta in changed]],
        )


def _touch_state(group: SearchGroup, item_delta: int) -> None:
    table = SearchIndexState._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {table} ("group", items, updated_at) VALUES (%s, GREATEST(0, %s), %s) '
            f'ON CONFLICT ("group") DO UPDATE SET items = GREATEST(0, {table}.items + %s), updated_at = %s',
            [group, item_delta, timezone.now(), item_delta, timezone.now()],
        )


def documents_of_datasets(dataset_ids: Iterable[int]) -> list[int]:
    """The proposals and collections holding these datasets: their scored text includes the datasets'."""
    ids = list(dataset_ids)
    proposals = Dataset.objects.filter(pk__in=ids).values_list("proposal_id", flat=True)
    collections = Document.collected_datasets.through.objects.filter(dataset_id__in=ids).values_list(
        "document_id", flat=True
    )
    return sorted(set(proposals) | set(collections))


def reindex_datasets(*, dataset_ids: Iterable[int]) -> None:
    """A dataset changed: its own postings and those of the documents that hold it."""
    ids = list(dataset_ids)
    reindex(group=SearchGroup.DATASETS, ids=ids)
    reindex(group=SearchGroup.DOCUMENTS, ids=documents_of_datasets(ids))


def rebuild(*, group: SearchGroup, progress: Callable[[str], None] | None = None) -> int:
    """Rebuild one group from scratch (COPY in batches, then df in one pass); returns N. For first loads and repairs."""
    config = GROUPS[group]
    posting_table = config.posting._meta.db_table
    item_column = f"{config.item_field}_id"
    with transaction.atomic():
        with connection.cursor() as cursor:
            if group == SearchGroup.DATASETS:
                # Facet writers wait until the postings are back: each would update its dataset's postings
                # (sql/posting_groups.sql) and wait on the TRUNCATE while we wait on its facet row.
                cursor.execute(f"LOCK TABLE {DatasetFacets._meta.db_table} IN SHARE MODE")
            cursor.execute(f"TRUNCATE {posting_table}")
        SearchTerm.objects.filter(group=group).delete()
        items = 0
        public_ids = config.public().order_by("pk").values_list("pk", flat=True).iterator(chunk_size=BATCH)
        while chunk := list(islice(public_ids, BATCH)):
            items += _copy_postings(group, chunk, posting_table, item_column)
            if progress is not None:
                progress(f"{group}: {items} items indexed")
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {SearchTerm._meta.db_table} AS t SET document_frequency = c.n FROM "
                f"(SELECT term_id, count(*) AS n FROM {posting_table} GROUP BY term_id) AS c WHERE t.id = c.term_id"
            )
            cursor.execute(f"ANALYZE {posting_table}")
        SearchIndexState.objects.update_or_create(group=group, defaults={"items": items, "updated_at": timezone.now()})
    return items


def _copy_postings(group: SearchGroup, ids: list[int], table: str, item_column: str) -> int:
    frequencies, term_ids = _frequencies(group, ids)
    buffer = io.StringIO()
    for pk, tf in frequencies.items():
        for word, value in tf.items():
            buffer.write(f"{term_ids[word]}\t{pk}\t{value!r}\n")
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} (term_id, {item_column}, tf) FROM STDIN") as copy:
        copy.write(buffer.getvalue())
    return len(frequencies)


def stale_dataset_ids(*, limit: int) -> list[int]:
    """Datasets whose openness changed without a write (an embargo that simply ran out, a withdrawal by UPDATE)."""
    has_postings = DatasetPosting.objects.filter(dataset_id=OuterRef("pk"))
    unindexed = visibility.open_datasets().filter(~Exists(has_postings)).values_list("pk", flat=True)[:limit]
    closed = (
        Dataset.objects.filter(Exists(has_postings))
        .exclude(pk__in=visibility.open_datasets().values("pk"))
        .values_list("pk", flat=True)[:limit]
    )
    return sorted(set(unindexed) | set(closed))
