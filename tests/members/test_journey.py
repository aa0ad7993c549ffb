from datetime import timedelta

from tests.conftest import form_post, paris_today

EN = {"Accept-Language": "en"}


def _stage(client, member_id, **fields):
    return form_post(
        client, f"/staff/members/{member_id}/stages", fields, page="/staff/members", headers=EN
    )


def _me(app, member, login):
    return login(member, c=app.test_client()).get("/api/v1/me").get_json()


def test_staff_record_the_journey_and_the_associate_deadline_follows(
    app, client, login, make_member
):
    today = paris_today()
    cape_start, cesa_start = today - timedelta(days=500), today - timedelta(days=200)
    member = make_member(status="candidate", joined_on=today - timedelta(days=600))
    login(make_member(role="staff"))
    assert (
        _stage(
            client,
            member.id,
            kind="contract",
            status="support_contract",
            effective_on=cape_start.isoformat(),
        ).status_code
        == 302
    )
    assert (
        _stage(
            client,
            member.id,
            kind="contract",
            status="employee_entrepreneur",
            effective_on=cesa_start.isoformat(),
        ).status_code
        == 302
    )
    me = _me(app, member, login)
    assert me["status"] == "employee_entrepreneur"
    # CESA start + 3 years − the 300 days spent under CAPE
    expected = cesa_start.replace(year=cesa_start.year + 3) - timedelta(days=300)
    assert me["associate_deadline"] == expected.isoformat()
    page = client.get(f"/staff/members/{member.id}", headers=EN).get_data(as_text=True)
    assert "To become an associate before" in page
    assert (
        _stage(
            client, member.id, kind="associate_admission", effective_on=today.isoformat()
        ).status_code
        == 302
    )
    me = _me(app, member, login)
    assert me["status"] == "associate" and me["associate_deadline"] is None


def test_the_deadline_rule_is_a_cooperative_setting(app, client, login, make_member):
    today = paris_today()
    member = make_member(status="candidate", joined_on=today - timedelta(days=400))
    admin = make_member(role="admin")
    login(admin)
    _stage(
        client,
        member.id,
        kind="contract",
        status="support_contract",
        effective_on=(today - timedelta(days=300)).isoformat(),
    )
    cesa = today - timedelta(days=100)
    _stage(
        client,
        member.id,
        kind="contract",
        status="employee_entrepreneur",
        effective_on=cesa.isoformat(),
    )
    response = form_post(
        client,
        "/admin/settings",
        {
            "name": "Coopérative Oxalis",
            "timezone": "Europe/Paris",
            "cape_max_months": "12",
            "cape_max_renewals": "2",
            "associate_deadline_years": "2",
            "associate_warning_days": "180",
        },
        page="/admin/settings",
    )
    assert response.status_code == 302
    assert (
        _me(app, member, login)["associate_deadline"]
        == cesa.replace(year=cesa.year + 2).isoformat()
    )  # two years, CAPE no longer deducted


def test_members_nearing_the_deadline_are_listed_for_staff(app, client, login, make_member):
    today = paris_today()
    near = make_member(
        display_name="Proche Échéance", status="candidate", joined_on=today - timedelta(days=1200)
    )
    far = make_member(
        display_name="Loin Échéance", status="candidate", joined_on=today - timedelta(days=20)
    )
    login(make_member(role="staff"))
    _stage(
        client,
        near.id,
        kind="contract",
        status="employee_entrepreneur",
        effective_on=(today - timedelta(days=1000)).isoformat(),
    )
    _stage(
        client,
        far.id,
        kind="contract",
        status="employee_entrepreneur",
        effective_on=(today - timedelta(days=10)).isoformat(),
    )
    page = client.get("/staff/members", headers=EN).get_data(as_text=True)
    section = page.split("Nearing the associate deadline", 1)[1].split("Recent invitations")[0]
    assert "1 entrepreneur is nearing the deadline" in section
    assert 'href="/staff#associate-deadlines"' in section  # listed once, on the staff home
    home = client.get("/staff", headers=EN).get_data(as_text=True)
    listed = home.split('id="associate-deadlines"', 1)[1].split("</section>")[0]
    assert "Proche Échéance" in listed and "Loin Échéance" not in listed


def test_impossible_stages_are_refused_and_the_status_is_kept(app, client, login, make_member):
    today = paris_today()
    member = make_member(status="candidate", joined_on=today - timedelta(days=100))
    login(make_member(role="staff"))
    cases = [
        ({"kind": "associate_admission"}, "cannot follow"),
        ({"kind": "contract", "status": "associate"}, "cannot follow"),
        (
            {
                "kind": "contract",
                "status": "support_contract",
                "effective_on": (today + timedelta(days=3)).isoformat(),
            },
            "cannot be in the future",
        ),
        (
            {
                "kind": "contract",
                "status": "support_contract",
                "effective_on": (today - timedelta(days=365)).isoformat(),
            },
            "before the last stage",
        ),
        (
            {"kind": "contract", "status": "support_contract", "effective_on": "31/02/2026"},
            "Enter a date such as",
        ),
        ({"kind": "exit", "reason": ""}, "Give the reason for the exit."),
        ({"kind": "promotion"}, "Unknown value"),
    ]
    for fields, message in cases:
        data = {"effective_on": today.isoformat(), **fields}
        response = _stage(client, member.id, **data)
        assert response.status_code == 422, fields
        assert message in response.get_data(as_text=True), fields
    assert _me(app, member, login)["status"] == "candidate"


def test_cape_renewals_are_capped_by_the_settings(app, client, login, make_member):
    today = paris_today()
    member = make_member(status="support_contract", joined_on=today - timedelta(days=900))
    login(make_member(role="staff"))
    for days in (600, 300):
        assert (
            _stage(
                client,
                member.id,
                kind="amendment",
                effective_on=(today - timedelta(days=days)).isoformat(),
            ).status_code
            == 302
        )
    third = _stage(client, member.id, kind="amendment", effective_on=today.isoformat())
    assert third.status_code == 422
    assert "already renewed 2 times" in third.get_data(as_text=True)


def test_status_changes_are_audited(app, client, login, make_member, db):
    from network.core.audit import AuditEvent

    member = make_member(status="candidate")
    login(make_member(role="staff"))
    _stage(
        client,
        member.id,
        kind="contract",
        status="support_contract",
        effective_on=paris_today().isoformat(),
    )
    with app.app_context():
        event = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.action == "status_changed")
        ).one()
    assert event.subject_id == member.id
    assert event.details["old"] == "candidate" and event.details["new"] == "support_contract"


def test_members_cannot_record_stages_or_change_roles(client, login, make_member):
    member = make_member()
    login(member)
    assert (
        _stage(
            client, member.id, kind="exit", reason="x", effective_on=paris_today().isoformat()
        ).status_code
        == 403
    )
    response = form_post(
        client, f"/staff/members/{member.id}/role", {"role": "admin"}, page="/members"
    )
    assert response.status_code == 403


def test_role_changes_need_an_admin_and_are_audited(app, client, login, make_member, db):
    from network.core.audit import AuditEvent

    member = make_member()
    staff_client = login(make_member(role="staff"), c=app.test_client())
    refused = form_post(
        staff_client, f"/staff/members/{member.id}/role", {"role": "staff"}, page="/staff/members"
    )
    assert refused.status_code == 403
    login(make_member(role="admin"))
    done = form_post(
        client, f"/staff/members/{member.id}/role", {"role": "staff"}, page="/staff/members"
    )
    assert done.status_code == 302
    with app.app_context():
        actions = db.session.scalars(db.select(AuditEvent.action)).all()
    assert "role_changed" in actions and "permission_denied" in actions


def test_the_member_sees_the_own_journey_but_not_others(app, client, login, make_member):
    member = make_member()
    other = make_member()
    login(member)
    own = client.get(f"/members/{member.id}", headers=EN).get_data(as_text=True)
    theirs = client.get(f"/members/{other.id}", headers=EN).get_data(as_text=True)
    assert "CAE journey" in own and "CAE journey" not in theirs


def test_only_admins_manage_an_admins_account(app, client, login, make_member):
    admin = make_member(role="admin")
    other_admin = make_member(role="admin")
    staff_client = login(make_member(role="staff"), c=app.test_client())
    page = staff_client.get(f"/staff/members/{other_admin.id}", headers=EN).get_data(as_text=True)
    assert "Only administrators can manage an administrator" in page
    assert (
        form_post(staff_client, f"/staff/members/{other_admin.id}/deactivate", page="/members")
    ).status_code == 403
    login(admin)
    form_post(client, f"/staff/members/{other_admin.id}/deactivate", page="/members")
    assert (
        form_post(staff_client, f"/staff/members/{other_admin.id}/reactivate", page="/members")
    ).status_code == 403


def test_over_long_stage_texts_are_refused_not_cut(client, login, make_member):
    member = make_member(status="candidate")
    login(make_member(role="staff"))
    response = _stage(
        client, member.id, kind="exit", reason="r" * 201, effective_on=paris_today().isoformat()
    )
    assert response.status_code == 422
    assert "At most 200 characters." in response.get_data(as_text=True)
