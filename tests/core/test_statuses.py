"""Status-based permissions: what the statutes reserve (a binding vote) follows the CAE
status of an active member, not the role in the tool."""

import pytest

from network.core.errors import Forbidden
from network.core.permissions import Status, has_status, is_associate, require_associate


@pytest.mark.parametrize("status", [s for s in Status if s != Status.ASSOCIATE])
def test_only_associates_vote(make_member, status):
    member = make_member(status=status.value)
    assert not is_associate(member)
    with pytest.raises(Forbidden):
        require_associate(member)


def test_an_associate_votes_whatever_the_role_and_staff_do_not_by_role(make_member):
    assert is_associate(make_member(status="associate"))
    assert is_associate(make_member(status="associate", role="staff"))
    assert not is_associate(make_member(status="employee_entrepreneur", role="admin"))


def test_a_deactivated_associate_does_not_vote(app, make_member):
    from network.extensions import db
    from network.members import Member, operations

    associate = make_member(status="associate")
    admin = make_member(role="admin")
    with app.test_request_context():
        operations.deactivate_member(admin, db.session.get(Member, associate.id))
        db.session.commit()
        assert not is_associate(db.session.get(Member, associate.id))


def test_anonymous_visitors_have_no_status():
    assert not has_status(None, *Status)
