"""Copies of database rows kept in memory between requests and events, in one process.

A copy is kept under its key until its row changes: the owner forgets the key on every
change of the row (at the flush, and again once the transaction commits), which also bumps
the key's generation, so that a copy read before a change and offered after it is not kept.
With a `lifetime`, a copy is also dropped after that many seconds (with several processes,
a change made by another one is seen within it).
"""

import time
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Kept(Generic[K, V]):
    def __init__(self, lifetime: float | None = None) -> None:
        self.lifetime = lifetime
        self._copies: dict[K, tuple[V, float]] = {}
        self._generations: dict[K, int] = {}

    def get(self, key: K) -> V | None:
        """The copy kept under `key`, if there is one still fresh."""
        found = self._copies.get(key)
        if found is None:
            return None
        copy, kept_at = found
        if self.lifetime is not None and time.monotonic() - kept_at >= self.lifetime:
            return None
        return copy

    def generation(self, key: K) -> int:
        """Read before loading the row, and given back to `keep`."""
        return self._generations.get(key, 0)

    def keep(self, key: K, copy: V, generation: int) -> None:
        """Keep `copy`, unless its row changed since `generation` was read."""
        if self._generations.get(key, 0) == generation:
            self._copies[key] = (copy, time.monotonic())

    def forget(self, key: K) -> None:
        """The row changed: its copy is dropped, and none read before now is kept."""
        self._copies.pop(key, None)
        self._generations[key] = self._generations.get(key, 0) + 1
