"""Django's cache (Redis) for things that are only an optimisation: an outage costs the work, never the request."""
from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache

logger = logging.getLogger(__name__)


def cache_get(key: str) -> Any:
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001 - Redis may be the very outage a caller reports
        logger.warning("cache unavailable; computing %s afresh", key)
        return None


def cache_set(key: str, value: Any, seconds: int) -> None:
    try:
        cache.set(key, value, seconds)
    except Exception:  # noqa: BLE001 - see cache_get
        pass
