"""Search across the network: a registry of kinds, a Whoosh backend, one writer path."""

from network.search.indexing import index_later
from network.search.registry import Document, SearchKind, register_kind

__all__ = ["Document", "SearchKind", "index_later", "register_kind"]
