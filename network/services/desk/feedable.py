"""What the service desk brings to the feed (a new FAQ entry) and to the notification centre
(assigned, answered, waiting for you, resolved, and the staff's overdue digest)."""

from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from network.core.registries import (
    Delivery,
    FeedKind,
    held_for_index,
    register_feed_kind,
    register_notification_kind,
)
from network.extensions import db
from network.services.desk.models import FaqEntry
from network.services.desk.operations import service_name

for _name, _label, _default in (
    ("service_request_assigned", _l("A service request is assigned to you"), Delivery.IMMEDIATELY),
    ("service_request_answered", _l("The support team answers your request"), Delivery.IMMEDIATELY),
    ("service_request_waiting", _l("The support team waits for your answer"), Delivery.IMMEDIATELY),
    ("service_request_resolved", _l("Your request is resolved"), Delivery.IMMEDIATELY),
    ("service_request_reply", _l("A member answers in a request you hold"), Delivery.IMMEDIATELY),
    (
        "service_request_mention",
        _l("Someone mentions you in a service request"),
        Delivery.IMMEDIATELY,
    ),
    (
        "service_overdue_digest",
        _l("The daily list of overdue service requests"),
        Delivery.IMMEDIATELY,
    ),
):
    register_notification_kind(_name, _label, _default)


def load_faq(ids: list[int], _viewer: Any = None) -> dict[int, FaqEntry]:
    found = held_for_index(FaqEntry)
    missing = [i for i in ids if i not in found]
    if missing:
        found.update(
            {e.id: e for e in db.session.scalars(select(FaqEntry).where(FaqEntry.id.in_(missing)))}
        )
    return {i: found[i] for i in ids if i in found}


def may_read_faq(_viewer: Any, entry: FaqEntry) -> bool:
    return entry.withdrawn_at is None


def _data(entry: FaqEntry, _viewer: Any) -> dict[str, Any]:
    return {
        "faq": {
            "id": entry.id,
            "question": entry.question,
            "service": service_name(entry.service),
            "url": url_for("services_desk.faq_entry", faq_id=entry.id),
        }
    }


register_feed_kind(
    FeedKind(
        "faq",
        _l("Answers of the support team"),
        "services/desk/_feed_faq.html",
        load_faq,
        may_read_faq,
        _data,
    )
)
