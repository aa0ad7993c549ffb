"""Every new member joins the channels staff mark as auto-join (the general and
announcement channels), through the `member_joined` signal."""

from tests.conftest import form_post


def _staff(member_api):
    return member_api(role="staff")


def test_staff_mark_a_channel_and_new_members_join_it(client, member_api, make_channel):
    _staff_member, staff = _staff(member_api)
    general = make_channel(staff, "Général")
    other = make_channel(staff, "Vélo")
    changed = client.patch(
        f"/api/v1/channels/{general['id']}", json={"auto_join": True}, headers=staff
    )
    assert changed.status_code == 200
    assert changed.get_json()["auto_join"] is True
    _newcomer, headers = member_api()
    mine = {c["id"] for c in client.get("/api/v1/channels", headers=headers).get_json()["items"]}
    assert general["id"] in mine
    assert other["id"] not in mine


def test_an_archived_or_private_channel_is_not_joined(client, member_api, make_channel):
    _staff_member, staff = _staff(member_api)
    general = make_channel(staff, "Général")
    url = f"/api/v1/channels/{general['id']}"
    assert client.patch(url, json={"auto_join": True}, headers=staff).status_code == 200
    assert client.patch(url, json={"archived": True}, headers=staff).status_code == 200
    private = make_channel(staff, "Comité", kind="private")
    refused = client.patch(
        f"/api/v1/channels/{private['id']}", json={"auto_join": True}, headers=staff
    )
    assert refused.status_code == 422
    assert "public" in refused.get_json()["errors"]["auto_join"]
    _newcomer, headers = member_api()
    assert client.get("/api/v1/channels", headers=headers).get_json()["items"] == []


def test_only_staff_mark_auto_join_and_bad_values_are_refused(client, member_api, make_channel):
    _owner, owner = member_api()
    channel = make_channel(owner, "Jardin")
    url = f"/api/v1/channels/{channel['id']}"
    forbidden = client.patch(url, json={"auto_join": True}, headers=owner)
    assert forbidden.status_code == 403
    assert forbidden.headers["Content-Type"].startswith("application/problem+json")
    _staff_member, staff = _staff(member_api)
    bad = client.patch(url, json={"auto_join": "yes"}, headers=staff)
    assert bad.status_code == 422


def test_staff_use_the_channel_settings_form(client, member_api, make_channel, login):
    staff_member, staff = _staff(member_api)
    channel = make_channel(staff, "Général")
    login(staff_member)
    page_url = f"/chat/{channel['id']}"
    page = client.get(page_url).get_data(as_text=True)
    assert "Ajouter chaque nouveau membre à son arrivée" in page
    saved = form_post(client, f"{page_url}/settings", {"auto_join": "1"}, page=page_url)
    assert saved.status_code == 302
    assert client.get(f"/api/v1/channels/{channel['id']}", headers=staff).get_json()["auto_join"]
