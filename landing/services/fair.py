"""The FAIR score on landing pages: the badge and breakdown anyone who may see the record reads, and for members of
the proposal what is missing, why it matters, where to learn more, and a form to fix what they own."""

from typing import Any

from catalogue import visibility
from catalogue.fair.checks import PAN_LEARNING
from catalogue.models import Dataset, Document
from catalogue.services import fair


def dataset_panel(*, dataset: Dataset, user: visibility.User) -> dict[str, Any]:
    """Template context of a dataset page's FAIR block; the caller has checked `user` may see the dataset."""
    member = visibility.is_proposal_member(user, dataset.proposal)
    breakdown = fair.breakdown(fair.stored_dataset_score(dataset))
    return {
        "fair": breakdown,
        "fair_member": member,
        "fair_fixable": [c for c in breakdown.missing if c.scientist_field] if breakdown and member else [],
        "fair_learning": PAN_LEARNING,
    }


def document_panel(*, document: Document, user: visibility.User) -> dict[str, Any]:
    """A DOI page's FAIR block: only for callers who see the whole record, every dataset included."""
    shown = document.pk in visibility.documents_seen_whole(user, [document.pk])
    return {"fair": fair.breakdown(fair.stored_document_score(document)) if shown else None, "fair_member": False}
