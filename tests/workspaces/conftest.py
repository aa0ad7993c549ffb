"""Workspace fixtures: sites and spaces made through the operations, members with tokens,
and times in the cooperative's zone (Europe/Paris)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from network.core.signals import notification_requested
from network.extensions import db
from tests.conftest import paris_today

PARIS = ZoneInfo("Europe/Paris")
EVERY_DAY = {str(d): [0, 24 * 60] for d in range(7)}
OFFICE_HOURS = {str(d): [8 * 60, 19 * 60] for d in range(7)}


def next_weekday(weekday: int, weeks: int = 1) -> date:
    """A date `weeks` weeks ahead on `weekday` (0 = Monday), always in the future."""
    today = paris_today()
    return today + timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks)


def at(day: date, hour: int, minute: int = 0) -> str:
    """Naive local ISO text (interpreted in the cooperative's zone)."""
    return datetime.combine(day, time(hour, minute)).isoformat()


@pytest.fixture
def member_api(make_member, token_for):
    def make(**fields):
        member = make_member(**fields)
        return member, {**token_for(member), "Accept-Language": "en"}

    return make


@pytest.fixture
def staff(member_api):
    return member_api(role="staff", display_name="Marc Staff")


@pytest.fixture
def make_space(app, staff):
    """make_space(**fields) → the id of a new active space (meeting room by default)."""
    from network.members.models import Member
    from network.workspaces import operations

    counter = iter(range(1, 1000))

    def make(**fields):
        with app.test_request_context():
            actor = db.session.get(Member, staff[0].id)
            site_name = fields.pop("site_name", "Lyon")
            from sqlalchemy import select

            from network.workspaces.models import Site

            site = db.session.scalar(select(Site).where(Site.name == site_name))
            if site is None:
                site = operations.create_site(actor, site_name)
            data = {
                "name": f"Salle {next(counter)}",
                "kind": "meeting_room",
                "site_id": site.id,
                "capacity": 1,
                "opening_hours": OFFICE_HOURS,
                "slot_minutes": 30,
                "min_minutes": 30,
                "max_minutes": 240,
                "max_days_ahead": 90,
                **fields,
            }
            space = operations.create_space(actor, data)
            db.session.commit()
            return space.id

    return make


@pytest.fixture
def book(client):
    """book(headers, space_id, start, end, **fields) → the response of POST /bookings."""

    def send(headers, space_id, start, end, **fields):
        return client.post(
            "/api/v1/bookings",
            json={"space_id": space_id, "start": start, "end": end, **fields},
            headers=headers,
        )

    return send


@pytest.fixture
def notes():
    """The notifications the module asks for, as they are sent."""
    received = []

    def listener(member_id, **kwargs):
        actor = kwargs["actor"]
        received.append(
            {
                "member_id": member_id,
                "kind": kwargs["kind"],
                "url": kwargs["url"],
                "text": str(kwargs["text"]),
                "actor_id": actor.id if actor is not None else None,
            }
        )

    notification_requested.connect(listener)
    yield received
    notification_requested.disconnect(listener)
