"""Search results every visitor may see alike, kept in the cache until the catalogue changes."""

import hashlib
import logging
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

from catalogue.models import SearchGroup, SearchIndexState

logger = logging.getLogger(__name__)
T = TypeVar("T")

FACET_CACHE_SECONDS = 300


def _catalogue_version() -> str | None:
    """Changes whenever a dataset is (re)indexed: every edit, opening, withdrawal and each periodic embargo sweep."""
    state = SearchIndexState.objects.filter(group=SearchGroup.DATASETS).values_list("items", "updated_at").first()
    return None if state is None or state[1] is None else f"{state[0]}:{state[1].timestamp()}"


def shared(name: str, state: str, compute: Callable[[], T]) -> T:
    """compute(), kept in the cache for FACET_CACHE_SECONDS or until the catalogue changes, whichever is first.

    Only for what every caller of `name` with this `state` may see alike. The cache is a speed-up only: when it is
    unreachable the value is computed and the page still served.
    """
    version = _catalogue_version()
    if version is None:
        return compute()
    digest = hashlib.sha256(f"{version}|{settings.EMBARGOED_METADATA}|{state}".encode()).hexdigest()
    key = f"portal:{name}:{digest}"
    try:
        value = cache.get(key)
    except Exception:
        logger.warning("portal cache unavailable", exc_info=True)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, FACET_CACHE_SECONDS)
        except Exception:
            logger.warning("portal cache unavailable", exc_info=True)
    return value
