"""What mutual aid brings to the feed (a new offer or need), to search (open offers and
needs) and to the notification centre."""

from collections.abc import Iterator
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from network.core.registries import (
    MEMBERS,
    Delivery,
    Document,
    FeedKind,
    SearchKind,
    held_for_index,
    register_feed_kind,
    register_notification_kind,
    register_search_kind,
)
from network.extensions import db
from network.mutual_aid.models import Offer, OfferState
from network.mutual_aid.operations import may_see_offer

for _name, _label, _default in (
    ("aid_response", _l("Someone responds to your offer or need"), Delivery.IMMEDIATELY),
    ("aid_accepted", _l("Your response to an offer or need is accepted"), Delivery.IMMEDIATELY),
    ("aid_confirm", _l("An exchange of help awaits your confirmation"), Delivery.IMMEDIATELY),
    ("aid_recorded", _l("An exchange of help is recorded in the time bank"), Delivery.DAILY),
    ("aid_endorsed", _l("A member endorses your skills"), Delivery.DAILY),
    ("aid_cocontract", _l("A co-contract is declared with you"), Delivery.IMMEDIATELY),
):
    register_notification_kind(_name, _label, _default)


def load_offers(ids: list[int], _viewer: Any = None) -> dict[int, Offer]:
    held = held_for_index(Offer)
    missing = [i for i in ids if i not in held]
    found = {i: held[i] for i in ids if i in held}
    if missing:
        query = (
            select(Offer)
            .where(Offer.id.in_(missing))
            .options(selectinload(Offer.author), selectinload(Offer.skills))
        )
        found.update({o.id: o for o in db.session.scalars(query)})
    return found


def _visible(viewer: Any, offer: Offer) -> bool:
    return may_see_offer(viewer, offer) and offer.state != OfferState.WITHDRAWN


def _data(offer: Offer, viewer: Any) -> dict[str, Any]:
    from network.mutual_aid.api import offer_json

    return {"offer": offer_json(offer, viewer)}


def _documents(ids: list[int]) -> Iterator[Document]:
    for offer in load_offers(ids).values():
        if offer.state == OfferState.OPEN:
            yield Document("aid_offer", offer.id, MEMBERS, offer.title, offer.body, offer.city)


def _all_ids() -> list[int]:
    return list(db.session.scalars(select(Offer.id).where(Offer.state == OfferState.OPEN)))


register_feed_kind(
    FeedKind(
        "aid_offer",
        _l("Offers and needs"),
        "mutual_aid/_feed_offer.html",
        load_offers,
        _visible,
        _data,
    )
)
register_search_kind(
    SearchKind(
        "aid_offer",
        _l("Offers and needs"),
        _documents,
        _all_ids,
        load_offers,
        _visible,
        lambda offer: url_for("mutual_aid.offer", offer_id=offer.id),
    )
)
