"""What the workspaces keep about a member (see `network.core.member_data`): bookings stay
(the history keeps its counts), preferences and waiting-list places go."""

from flask_babel import lazy_gettext as _l

from network.core.member_data import (
    Erase,
    MemberData,
    register_member_data,
    register_member_reference,
)
from network.workspaces.models import Booking, BookingSeries, WaitlistEntry, WorkspacePreference


def register() -> None:
    register_member_data(
        MemberData(
            "bookings",
            Booking,
            "member_id",
            _l("Your bookings of desks, rooms and equipment."),
            exclude=("created_by_id", "decided_by_id"),
        )
    )
    register_member_reference(Booking, "created_by_id")
    register_member_reference(Booking, "decided_by_id")
    register_member_data(
        MemberData(
            "booking_series",
            BookingSeries,
            "member_id",
            _l("Your recurring bookings."),
        )
    )
    register_member_data(
        MemberData(
            "waiting_lists",
            WaitlistEntry,
            "member_id",
            _l("Your places on waiting lists."),
            erase=Erase.DELETE,
        )
    )
    register_member_data(
        MemberData(
            "workspace_preferences",
            WorkspacePreference,
            "member_id",
            _l("Your choices for the workspaces (calendar feed, presence)."),
            erase=Erase.DELETE,
        )
    )
