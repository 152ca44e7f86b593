"""A small thread-safe map that forgets its oldest entries past a size: what the twin's plain pages keep
per user between requests (the field page's answers by idempotency key, the reception page's outcome
of a form until the page has shown it)."""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Hashable


class Bounded:
    def __init__(self, size: int):
        self.size, self._items, self._lock = size, OrderedDict(), threading.Lock()

    def get(self, key: Hashable, default: Any = None) -> Any:
        with self._lock:
            return self._items.get(key, default)

    def take(self, key: Hashable, default: Any = None) -> Any:
        """The value, forgotten as it is read."""
        with self._lock:
            return self._items.pop(key, default)

    def keep(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
