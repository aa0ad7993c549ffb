from network.extensions import db
from network.members.models import Member


def test_create_the_first_admin_then_invite_from_the_command_line(app, outbox):
    runner = app.test_cli_runner()
    created = runner.invoke(
        args=[
            "members",
            "create",
            "chef@example.org",
            "--name",
            "Sophie Garnier",
            "--status",
            "associate",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input="a very good password\n",
    )
    assert created.exit_code == 0, created.output
    invited = runner.invoke(
        args=["members", "invite", "new@example.org", "--status", "candidate", "--name", "Nouvelle"]
    )
    assert invited.exit_code == 0, invited.output
    assert outbox()[-1]["To"] == "new@example.org"
    with app.app_context():
        admin = db.session.scalar(db.select(Member).where(Member.email == "chef@example.org"))
        assert admin.role.value == "admin" and admin.status.value == "associate"


def test_cli_errors_are_clear(app):
    runner = app.test_cli_runner()
    no_admin = runner.invoke(args=["members", "invite", "x@example.org", "--status", "candidate"])
    assert no_admin.exit_code != 0 and "create an admin first" in no_admin.output
    bad_status = runner.invoke(
        args=[
            "members",
            "create",
            "x@example.org",
            "--name",
            "X Y",
            "--status",
            "king",
            "--password-stdin",
        ],
        input="pw\n",
    )
    assert bad_status.exit_code == 2 and "king" in bad_status.output
    short = runner.invoke(
        args=[
            "members",
            "create",
            "x@example.org",
            "--name",
            "X Y",
            "--status",
            "candidate",
            "--password-stdin",
        ],
        input="pw\n",
    )
    assert short.exit_code == 1 and "password" in short.output
    runner.invoke(
        args=[
            "members",
            "create",
            "dup@example.org",
            "--name",
            "D Up",
            "--status",
            "candidate",
            "--password-stdin",
        ],
        input="long enough password\n",
    )
    duplicate = runner.invoke(
        args=[
            "members",
            "create",
            "DUP@example.org",
            "--name",
            "D Up",
            "--status",
            "candidate",
            "--password-stdin",
        ],
        input="long enough password\n",
    )
    assert duplicate.exit_code == 1 and "email:" in duplicate.output


def test_seed_demo_fills_an_empty_cooperative_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "admin@terreau.coop" in first.output
    with app.app_context():
        statuses = {m.status.value for m in db.session.scalars(db.select(Member))}
        count = db.session.scalar(db.select(db.func.count(Member.id)))
    assert count >= 60
    assert statuses == {
        "candidate",
        "support_contract",
        "employee_entrepreneur",
        "associate",
        "alumnus",
    }
    second = runner.invoke(args=["seed-demo"])
    assert "nothing seeded" in second.output
