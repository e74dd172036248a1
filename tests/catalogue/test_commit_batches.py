"""catalogue.commit_batches: what a transaction collects is handed over once, after it commits."""

import threading

import pytest
from django.db import transaction

from catalogue.commit_batches import CommitBatch, by_kind

pytestmark = pytest.mark.django_db(transaction=True)


class Handed:
    def __init__(self) -> None:
        self.batches: list[set] = []

    def __call__(self, items: set) -> None:
        self.batches.append(items)


def test_a_transaction_hands_its_items_over_once_after_it_commits():
    handed = Handed()
    batch = CommitBatch(handed)
    with transaction.atomic():
        for pk in range(300):
            batch.add([("datasets", pk), ("documents", pk % 3)])
        assert handed.batches == []
    assert len(handed.batches) == 1
    assert by_kind(handed.batches[0]) == {"datasets": list(range(300)), "documents": [0, 1, 2]}


def test_outside_a_transaction_items_are_handed_over_at_once():
    handed = Handed()
    batch = CommitBatch(handed)
    batch.add(["dataset:1"])
    batch.add([])
    assert handed.batches == [{"dataset:1"}]


def test_items_of_a_rolled_back_transaction_go_with_the_next_commit():
    handed = Handed()
    batch = CommitBatch(handed)
    with pytest.raises(RuntimeError), transaction.atomic():
        batch.add(["dataset:1"])
        raise RuntimeError("rolled back")
    assert handed.batches == []
    with transaction.atomic():
        batch.add(["dataset:2"])
    assert handed.batches == [{"dataset:1", "dataset:2"}]


def test_each_thread_collects_its_own_items():
    handed = Handed()
    batch = CommitBatch(handed)
    inside = threading.Event()
    with transaction.atomic():
        batch.add(["dataset:1"])
        other = threading.Thread(target=lambda: (batch.add(["dataset:2"]), inside.set()))
        other.start()
        other.join()
        assert inside.is_set() and handed.batches == [{"dataset:2"}]  # the other thread had no transaction open
    assert handed.batches == [{"dataset:2"}, {"dataset:1"}]


def test_a_robust_batch_lets_the_commit_succeed_when_handing_over_fails():
    def fail(items: set) -> None:
        raise ValueError("the broker is down")

    with transaction.atomic():
        CommitBatch(fail, robust=True).add(["dataset:1"])
    with pytest.raises(ValueError), transaction.atomic():
        CommitBatch(fail).add(["dataset:1"])
