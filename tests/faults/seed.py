"""`python -m tests.faults.seed MEMBERS`: the database of the environment migrated, and the
people and the space a fault test writes with, made through the operations; prints them as
JSON (one process for both: starting one costs seconds on a busy machine)."""

import json
import sys

from network import create_app
from network.extensions import db

PASSWORD = "correct horse battery"
OPEN_ALL_DAY = {str(day): [0, 24 * 60] for day in range(7)}


def main(count: int) -> None:
    from flask_migrate import upgrade

    from network.members import operations as members
    from network.workspaces import operations as workspaces

    app = create_app()
    with app.app_context():
        upgrade()
    with app.test_request_context():
        staff = members.create_member(
            email="staff@example.org",
            display_name="Sam Appui",
            status="employee_entrepreneur",
            role="staff",
            password=PASSWORD,
        )
        people = [
            members.create_member(
                email=f"member{n}@example.org",
                display_name=f"Membre {n}",
                status="employee_entrepreneur",
                role="member",
                password=PASSWORD,
            )
            for n in range(count)
        ]
        site = workspaces.create_site(staff, "Lyon")
        space = workspaces.create_space(
            staff,
            {
                "name": "Salle des tisserandes",
                "kind": "meeting_room",
                "site_id": site.id,
                "capacity": 1,
                "opening_hours": OPEN_ALL_DAY,
                "slot_minutes": 30,
                "min_minutes": 30,
                "max_minutes": 240,
                "max_days_ahead": 90,
            },
        )
        db.session.commit()
        print(json.dumps({"emails": [p.email for p in people], "space_id": space.id}))


if __name__ == "__main__":
    main(int(sys.argv[1]))
