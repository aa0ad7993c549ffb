"""The governance and settings events the issue lists are in the log, each with its actor,
its subject and ids (never names, e-mail addresses or secret-ballot choices), and the
chain verifies after them."""

from datetime import UTC, datetime, timedelta

from tests.conftest import form_post
from tests.core.test_settings import VALID as VALID_SETTINGS

EN = {"Accept-Language": "en"}


def _log(client, headers, **filters):
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    answer = client.get(f"/api/v1/admin/audit?limit=200&{query}", headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["items"]


def _soon(**delta) -> str:
    return (datetime.now(UTC) + timedelta(**(delta or {"days": 20}))).isoformat()


def test_convocation_proxies_and_votes_of_an_assembly(app, client, member_api):
    staff, sh = member_api(role="staff", status="employee_entrepreneur")
    (giver, gh), (holder, _hh) = (member_api(status="associate") for _ in range(2))
    body = {
        "kind": "ordinary",
        "title": "Assemblée générale annuelle",
        "starts_at": _soon(minutes=20),
        "place": "Lyon",
        "resolutions": [
            {"title": "Comptes", "text": "Texte", "majority": "ordinary", "secret": True}
        ],
    }
    made = client.post("/api/v1/assemblies", json=body, headers=sh).get_json()
    base = f"/api/v1/assemblies/{made['id']}"
    assembly = client.post(f"{base}/convene", headers=sh).get_json()["assembly"]
    assert client.patch(base, json={"place": "Salle B"}, headers=sh).status_code == 200
    proxy = client.post(f"{base}/proxies", json={"holder_id": holder.id}, headers=gh)
    assert proxy.status_code == 201
    proxy_id = proxy.get_json()["id"]
    assert client.delete(f"/api/v1/proxies/{proxy_id}", headers=sh).status_code in (200, 204)
    resolution = assembly["resolutions"][0]["id"]
    assert client.post(f"/api/v1/resolutions/{resolution}/open", headers=sh).status_code == 200
    client.post(f"{base}/attendance", json={"presence": "online"}, headers=gh)
    voted = client.put(
        f"/api/v1/resolutions/{resolution}/vote", json={"choice": "against"}, headers=gh
    )
    assert voted.status_code == 200, voted.get_json()
    assert client.post(f"/api/v1/resolutions/{resolution}/close", headers=sh).status_code == 200

    entries = _log(client, sh)
    by_action = {e["action"]: e for e in entries}
    convened = by_action["assembly_convened"]
    assert convened["actor_id"] == staff.id and convened["details"]["assembly_id"] == made["id"]
    updated = by_action["assembly_updated"]
    assert updated["details"] == {"assembly_id": made["id"], "convened": True, "fields": ["place"]}
    given = by_action["proxy_given"]
    assert (given["actor_id"], given["subject_id"]) == (giver.id, holder.id)
    revoked = by_action["proxy_revoked"]
    assert (revoked["actor_id"], revoked["subject_id"]) == (staff.id, giver.id)
    assert revoked["details"]["holder_id"] == holder.id
    assert by_action["resolution_opened"]["details"]["resolution_id"] == resolution
    assert by_action["resolution_closed"]["actor_id"] == staff.id
    # a secret ballot's choice never reaches the log
    assert not any("against" in str(e["details"]) for e in entries)
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0


def test_a_vote_opened_and_closed(client, member_api):
    author, ah = member_api(role="staff")
    body = {"kind": "proposal", "title": "Adopt the charter", "closes_at": _soon(days=2)}
    made = client.post("/api/v1/decisions", json=body, headers=ah).get_json()
    assert client.post(f"/api/v1/decisions/{made['id']}/open", headers=ah).status_code == 200
    assert client.post(f"/api/v1/decisions/{made['id']}/close", headers=ah).status_code == 200
    opened = _log(client, ah, action="decision_opened")
    closed = _log(client, ah, action="decision_closed")
    assert [e["details"]["decision_id"] for e in opened + closed] == [made["id"]] * 2
    assert closed[0]["actor_id"] == author.id


def test_settings_changes_are_recorded(app, make_member, login, member_api):
    admin = make_member(role="admin")
    client = login(admin, c=app.test_client())
    changed = {
        **VALID_SETTINGS,
        "name": "Coopérative Terreau\nINFO forged",
        "max_skills_per_member": "7",
    }
    response = form_post(client, "/admin/settings", changed, page="/admin/settings")
    assert response.status_code == 302
    _staff, sh = member_api(role="staff")
    entries = _log(app.test_client(), sh, action="settings_changed", actor=admin.id)
    assert len(entries) == 1
    assert entries[0]["details"]["name"] == "Coopérative Terreau\ufffdINFO forged"
    assert entries[0]["details"]["max_skills_per_member"] == 7


def test_invitations_are_recorded_without_the_address(client, member_api):
    _staff, sh = member_api(role="staff")
    body = {"email": "new.person@example.org", "status": "candidate"}
    sent = client.post("/api/v1/invitations", json=body, headers=sh)
    assert sent.status_code == 201, sent.get_json()
    entries = _log(client, sh, action="invitation_sent")
    assert len(entries) == 1 and entries[0]["details"]["invitation_id"]
    assert "example.org" not in str(entries[0]["details"])
