"""The staff's settings of bookings (spaces, their rules, closures) are in the audit log."""

from tests.conftest import form_post


def _log(client, headers, action):
    answer = client.get(f"/api/v1/admin/audit?action={action}", headers=headers)
    assert answer.status_code == 200
    return answer.get_json()["items"]


def test_space_changes_and_closures_are_recorded(app, client, staff, make_space, login):
    member, headers = staff
    sid = make_space()
    assert (
        client.patch(f"/api/v1/spaces/{sid}", json={"capacity": 4}, headers=headers).status_code
        == 200
    )
    assert (
        client.patch(f"/api/v1/spaces/{sid}", json={"capacity": 4}, headers=headers).status_code
        == 200
    )
    page = login(member, c=app.test_client())
    added = form_post(
        page,
        f"/workspaces/manage/spaces/{sid}/closures",
        {"starts_on": "2031-05-01", "ends_on": "2031-05-02", "reason": "Travaux\nforged"},
        page="/workspaces",
    )
    assert added.status_code in (302, 303), added.get_data(as_text=True)
    created = _log(client, headers, "space_created")
    assert [e["details"]["space_id"] for e in created] == [sid]
    updated = _log(client, headers, "space_updated")
    assert [e["details"]["fields"] for e in updated] == [["capacity"]]  # the same again: nothing
    closure = _log(client, headers, "space_closure_added")[0]
    assert closure["actor_id"] == member.id
    assert closure["details"]["starts_on"] == "2031-05-01"
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0
