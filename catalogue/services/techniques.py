"""Keeps the Technique table in step with the shipped PaNET vocabulary."""

from django.db import transaction

from catalogue import panet
from catalogue.models import Technique
from catalogue.panet import Vocabulary


@transaction.atomic
def load_panet(*, vocabulary: Vocabulary) -> tuple[int, int]:
    """Upsert every PaNET term by id; returns (created, updated). Local techniques are left alone."""
    existing = {t.panet_id: t for t in Technique.objects.filter(panet_id__isnull=False)}
    created, updated = [], []
    for term in vocabulary.terms.values():
        fields = {
            "pid": term.purl,
            "name": term.label,
            "alt_labels": list(term.alt_labels),
            "definition": term.definition,
            "parents": list(term.parents),
            "ancestors": list(term.ancestors),
            "is_concept": term.is_concept,
        }
        row = existing.get(term.id)
        if row is None:
            created.append(Technique(panet_id=term.id, **fields))
        elif any(getattr(row, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(row, name, value)
            updated.append(row)
    Technique.objects.bulk_create(created)
    Technique.objects.bulk_update(
        updated, ["pid", "name", "alt_labels", "definition", "parents", "ancestors", "is_concept"]
    )
    return len(created), len(updated)


def techniques_by_id(panet_ids: tuple[str, ...]) -> list[Technique]:
    """Technique rows for the most specific of the PaNET ids (an ancestor of another one is dropped), created from
    the shipped vocabulary when load_panet has not run yet."""
    vocabulary = panet.vocabulary()
    panet_ids = tuple(
        term_id
        for term_id in panet_ids
        if not any(term_id in vocabulary.terms[other].ancestors for other in panet_ids if other in vocabulary.terms)
    )
    rows = {row.panet_id: row for row in Technique.objects.filter(panet_id__in=panet_ids)}
    for term_id in panet_ids:
        term = vocabulary.terms.get(term_id)
        if term_id not in rows and term is not None:
            rows[term_id], _ = Technique.objects.get_or_create(
                panet_id=term_id,
                defaults={
                    "pid": term.purl,
                    "name": term.label,
                    "parents": list(term.parents),
                    "ancestors": list(term.ancestors),
                    "is_concept": term.is_concept,
                },
            )
    return [rows[term_id] for term_id in panet_ids if term_id in rows]
