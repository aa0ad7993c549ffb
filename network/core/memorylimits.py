"""The rate limits' memory storage (one process, no Redis) without its expiry timer.

`limits`' `MemoryStorage` starts a timer thread 10 ms after any count to drop expired
counters, and asks whether the last one is still alive on every count: under gevent each
count then switched to the hub and a new timer greenlet ran every 10 ms — about a quarter of
the CPU of sending a chat message. Expired counters are already ignored when read; here they
are dropped in passing, at most once a second.
"""

import time

from limits.storage import MemoryStorage

SWEEP_EVERY = 1.0  # seconds


class SweptMemoryStorage(MemoryStorage):
    """`memory://` whose expired entries are swept in passing, with no timer."""

    STORAGE_SCHEME = ["swept-memory"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)  # one first timer
        self._next_sweep = time.monotonic() + SWEEP_EVERY

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the timer's start
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_EVERY
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self._next_sweep = time.monotonic() + SWEEP_EVERY
