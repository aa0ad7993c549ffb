"""The search journal: objects changed whose documents may not be in the index yet.

A row is written in the same transaction as the change, and deleted once the index writer
has committed the object's documents. A crash in between (the writer's buffer lost) leaves
the row, and start-up writes the documents again: a change the member was told about is
never missing from the index.
"""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from network.core.models import Base, utcnow


class SearchJournalEntry(Base):
    __tablename__ = "search_journal"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
