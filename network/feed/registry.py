"""The feed-item registry: each module declares the kinds of items it contributes.

A kind has a partial template, a batch loader, a visibility rule and its API data. Modules
publish items by sending `signals.feed_item_published` (and withdraw them with
`signals.feed_item_withdrawn`); the feed never imports them.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from network.core import signals


@dataclass(frozen=True)
class FeedKind:
    name: str  # "post", "member_joined", …
    label: Any  # translatable plural label for the kind filter
    partial: str  # template rendering one item: gets `item`, `obj`, `viewer`
    load: Callable[[list[int], Any], dict[int, Any]]  # (object ids, viewer) → {id: object}
    visible: Callable[[Any, Any], bool]  # (viewer, object) → may the viewer see it?
    data: Callable[[Any, Any], dict[str, Any]]  # (object, viewer) → the API's `data`


KINDS: dict[str, FeedKind] = {}


def register_feed_kind(kind: FeedKind) -> None:
    KINDS[kind.name] = kind


def publish(kind: str, object_id: int, actor_id: int | None, *, once_a_day: bool = False) -> None:
    """Add an item to the feed when the current transaction commits (a module's shortcut
    for sending the signal)."""
    signals.feed_item_published.send(
        kind, object_id=object_id, actor_id=actor_id, once_a_day=once_a_day
    )


def withdraw(kind: str, object_ids: Iterable[int]) -> None:
    signals.feed_item_withdrawn.send(kind, object_ids=list(object_ids))
