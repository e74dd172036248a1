"""Fixity: re-hash stored files against the checksums the catalogue recorded, and flag missing or changed files
on their rows (DataFile.is_missing, fixity_error) for stewards to see in the admin.
"""

import hashlib
import logging
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from catalogue.fair import receivers as fair_receivers
from catalogue.models import DataFile
from catalogue.services import downloads

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FixityReport:
    checked: int
    missing: int
    mismatched: int


class _Adler32:
    """hashlib-like adler32 (some facilities record it, e.g. dCache)."""

    def __init__(self) -> None:
        self.value = 1

    def update(self, chunk: bytes) -> None:
        self.value = zlib.adler32(chunk, self.value)

    def hexdigest(self) -> str:
        return f"{self.value:08x}"


def file_checksum(stored: downloads.StoredFile, algorithm: str) -> str:
    digest = _Adler32() if algorithm == "adler32" else hashlib.new(algorithm)
    for chunk in downloads.read_range(stored):
        digest.update(chunk)
    return digest.hexdigest()


def check_file(data_file: DataFile, *, now: datetime | None = None) -> str:
    """Check one file and store the outcome on its row; returns the problem found, or "" when intact."""
    now = now or timezone.now()
    problem, missing = "", False
    try:
        stored = downloads.locate(data_file)
        if data_file.size is not None and stored.size != data_file.size:
            problem = f"size changed: catalogue {data_file.size} bytes, storage {stored.size} bytes"
        else:
            found = file_checksum(stored, data_file.checksum_algorithm)
            if found.lower() != data_file.checksum.lower():
                problem = f"{data_file.checksum_algorithm} mismatch: catalogue {data_file.checksum}, storage {found}"
    except downloads.FileUnavailable as reason:
        problem, missing = f"missing: {reason}"[:512], True
    except ValueError:  # hashlib does not know the algorithm
        problem = f"cannot check algorithm {data_file.checksum_algorithm!r}"
    problem = problem[:512]
    DataFile.objects.filter(pk=data_file.pk).update(checksum_verified_at=now, is_missing=missing, fixity_error=problem)
    if (missing, problem) != (data_file.is_missing, data_file.fixity_error):
        # An UPDATE sends no post_save: the FAIR check "Data files retrievable" reads these two fields.
        fair_receivers.queue("datasets", [data_file.dataset_id])
    if problem:
        logger.warning("fixity: %s %s: %s", data_file.dataset.pid, data_file.path, problem)
    return problem


def files_due(now: datetime) -> QuerySet[DataFile]:
    """Files with a recorded checksum never checked, or checked longer ago than FIXITY_INTERVAL_DAYS."""
    stale = now - timedelta(days=settings.FIXITY_INTERVAL_DAYS)
    return (
        DataFile.objects.exclude(checksum="")
        .exclude(checksum_algorithm="")
        .filter(Q(checksum_verified_at__isnull=True) | Q(checksum_verified_at__lt=stale))
        .select_related("dataset__instrument__facility", "dataset__proposal__facility")
        .order_by(F("checksum_verified_at").asc(nulls_first=True), "pk")
    )


def check_due_files(*, limit: int | None = None, now: datetime | None = None) -> FixityReport:
    """Check the files verified longest ago, at most `limit` (FIXITY_BATCH_SIZE) per run."""
    now = now or timezone.now()
    checked = missing = mismatched = 0
    for data_file in files_due(now)[: limit or settings.FIXITY_BATCH_SIZE]:
        problem = check_file(data_file, now=now)
        checked += 1
        if problem.startswith("missing"):
            missing += 1
        elif problem:
            mismatched += 1
    return FixityReport(checked=checked, missing=missing, mismatched=mismatched)
