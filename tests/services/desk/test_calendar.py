"""Working days: weekends and the cooperative's closed days do not count."""

from datetime import date

from network.cooperative.calendar import (
    add_closed_day,
    add_working_days,
    is_working_day,
    remove_closed_day,
    working_days_between,
)
from network.extensions import db


def test_working_days_skip_weekends(app):
    with app.test_request_context():
        friday = date(2026, 12, 4)
        assert add_working_days(friday, 1) == date(2026, 12, 7)  # Monday
        assert add_working_days(friday, 5) == date(2026, 12, 11)
        assert add_working_days(date(2026, 12, 5), 1) == date(2026, 12, 7)  # opened Saturday
        assert add_working_days(friday, 0) == friday
        assert working_days_between(friday, date(2026, 12, 8)) == 2
        assert not is_working_day(date(2026, 12, 6))


def test_closed_days_are_skipped_and_kept_by_staff(app, make_member):
    staff = make_member(role="staff")
    member = make_member()
    with app.test_request_context():
        from network.core.errors import Conflict, Forbidden
        from network.members.models import Member

        actor = db.session.get(Member, staff.id)
        add_closed_day(actor, date(2026, 12, 24), "Fermeture de fin d'année")
        add_closed_day(actor, date(2026, 12, 25))
        db.session.commit()
        # Wednesday 23rd + 2 working days: 24th and 25th closed, 26-27 weekend → Tue 29th
        assert add_working_days(date(2026, 12, 23), 2) == date(2026, 12, 29)
        assert working_days_between(date(2026, 12, 23), date(2026, 12, 29)) == 2
        try:
            add_closed_day(actor, date(2026, 12, 24))
        except Conflict:
            db.session.rollback()
        else:
            raise AssertionError("a day closed twice")
        try:
            add_closed_day(db.session.get(Member, member.id), date(2026, 12, 31))
        except Forbidden:
            db.session.rollback()
        else:
            raise AssertionError("a member closed a day")
        remove_closed_day(actor, date(2026, 12, 25))
        db.session.commit()
    with app.test_request_context():
        assert add_working_days(date(2026, 12, 23), 2) == date(2026, 12, 28)
