"""The search journal: objects changed whose documents may not be in the index yet.

A row is written in the same transaction as the change, and deleted once the index writer
has committed the object's documents. A crash in between (the writer's buffer lost) leaves
the row, and start-up writes the documents again: a change the member was told about is
never missing from the index.
"""

from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from network.core.models import Base, utcnow


class SearchJournalEntry(Base):
    __tablename__ = "search_journal"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


#: A tsvector on PostgreSQL; unused text elsewhere (SQLite searches with Whoosh).
TSVector = TSVECTOR().with_variant(Text(), "sqlite")


class SearchDocument(Base):
    """The PostgreSQL backend's index: one row per document (an object, for one audience).

    `terms` is the weighted `tsvector` of title (A), keywords (B) and body (D) under the
    `french_unaccent` configuration (the migration creates it), GIN-indexed. The table exists
    on SQLite too, empty: the schema is the same everywhere."""

    __tablename__ = "search_documents"
    __table_args__ = (
        UniqueConstraint("kind", "object_id", "audience"),
        Index("ix_search_documents_terms", "terms", postgresql_using="gin"),
        Index("ix_search_documents_kind_id", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int]
    audience: Mapped[str] = mapped_column(String(120))
    replaced_for: Mapped[str] = mapped_column(Text, default="")  # audiences, space-separated
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[str] = mapped_column(Text, default="")
    terms: Mapped[str | None] = mapped_column(TSVector)
    written_at: Mapped[datetime] = mapped_column(default=utcnow)
