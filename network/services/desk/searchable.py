"""What of the service desk the search finds: the published FAQ entries (every member);
withdrawn ones leave the index. Requests are private and never indexed. A rebuild reads the
entries by batches of ids (a few hundred at most: no bulk path)."""

from collections.abc import Iterator

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from network.core.markup import html_text
from network.core.registries import MEMBERS, Document, SearchKind, register_search_kind
from network.extensions import db
from network.services.desk.feedable import load_faq, may_read_faq
from network.services.desk.models import FaqEntry


def _documents(ids: list[int]) -> Iterator[Document]:
    held = load_faq(ids)
    for entry in held.values():
        if entry.withdrawn_at is None:
            yield Document(
                "faq",
                entry.id,
                MEMBERS,
                entry.question,
                html_text(entry.answer_html),
                " ".join(filter(None, (entry.service.name_fr, entry.service.name_en))),
            )


def _all_ids() -> list[int]:
    return list(db.session.scalars(select(FaqEntry.id).where(FaqEntry.withdrawn_at.is_(None))))


register_search_kind(
    SearchKind(
        "faq",
        _l("Answers of the support team"),
        _documents,
        _all_ids,
        load_faq,
        may_read_faq,
        lambda entry: url_for("services_desk.faq_entry", faq_id=entry.id),
    )
)
