"""What each module indexes: kinds of search results, declared by the modules themselves.

A kind turns objects into documents (one per audience that may read a version of them), loads
objects back by id, and decides whether a viewer may see one. The index is a cache: every hit
is re-checked with `visible` before it is shown.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

#: The audience every member belongs to; staff also read "staff"; later modules add theirs
#: (e.g. "channel:12" for a private channel's members).
MEMBERS = "members"
STAFF = "staff"


@dataclass(frozen=True)
class Document:
    kind: str
    object_id: int
    audience: str
    title: str
    body: str = ""
    keywords: str = ""  # names, tags: matched as you type
    replaced_for: tuple[str, ...] = ()  # audiences that read a fuller version of the object


@dataclass(frozen=True)
class SearchKind:
    name: str  # "member", "skill", …
    label: Any  # translatable plural label, e.g. _l("Members")
    documents: Callable[[list[int]], Iterator[Document]]  # ids → their documents
    all_ids: Callable[[], Iterable[int]]  # every id to index on a rebuild
    load: Callable[[list[int]], dict[int, Any]]  # ids → objects (batch)
    visible: Callable[[Any, Any], bool]  # (viewer, object) → may the viewer see it?
    url: Callable[[Any], str]  # object → its page


KINDS: dict[str, SearchKind] = {}


def register_kind(kind: SearchKind) -> None:
    KINDS[kind.name] = kind


def audiences_for(viewer: Any) -> set[str]:
    """The audiences whose documents `viewer` may read."""
    from network.core.permissions import is_staff

    found = {MEMBERS}
    if is_staff(viewer):
        found.add(STAFF)
    for provider in AUDIENCE_PROVIDERS:
        found |= provider(viewer)
    return found


#: Functions viewer → extra audiences (e.g. the channels the viewer belongs to).
AUDIENCE_PROVIDERS: list[Callable[[Any], set[str]]] = []
