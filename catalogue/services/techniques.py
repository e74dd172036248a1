"""Keeps the Technique table in step with the shipped PaNET vocabulary."""

from django.db import transaction

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
