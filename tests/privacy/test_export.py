"""Download my data: a ZIP with a JSON file per kind and a README; every kind the member
wrote, nothing of anyone else's private data. One test per module."""

from network.core.member_data import MEMBER_DATA
from tests.governance.conftest import option_id
from tests.privacy.conftest import at, next_weekday


def test_an_export_holds_every_kind_a_readme_and_the_profile(member_api, export_of):
    member, headers = member_api(display_name="Zélie Export")
    files = export_of(headers)
    assert {f"{name}.json" for name in MEMBER_DATA} <= set(files)
    assert "LISEZMOI.txt" in files
    readme = files["LISEZMOI.txt"].decode()
    assert "profile.json" in readme and "Vos données" in readme  # French, each file explained
    profile = files["profile.json"][0]
    assert profile["email"] == member.email and profile["display_name"] == "Zélie Export"
    assert "password_hash" not in profile


def test_feed(client, member_api, export_of):
    member, headers = member_api()
    other, other_headers = member_api()
    post = client.post("/api/v1/posts", json={"body": "Mon post à moi"}, headers=headers)
    post_id = post.get_json()["id"]
    client.post(
        f"/api/v1/posts/{post_id}/comments", json={"body": "Mon commentaire"}, headers=headers
    )
    client.post(
        f"/api/v1/posts/{post_id}/comments",
        json={"body": "Réponse d'autrui"},
        headers=other_headers,
    )
    client.put(f"/api/v1/posts/{post_id}/reactions/👍", headers=headers)
    files = export_of(headers)
    assert [p["body"] for p in files["posts.json"]] == ["Mon post à moi"]
    assert [c["body"] for c in files["comments.json"]] == ["Mon commentaire"]
    assert len(files["post_reactions.json"]) == 1
    assert "Réponse d'autrui" not in str(files)
    assert other.email not in str(files)


def test_chat_messages_written_and_never_the_others(client, member_api, export_of):
    member, headers = member_api()
    other, other_headers = member_api()
    direct = client.post(
        "/api/v1/direct", json={"member_ids": [other.id]}, headers=headers
    ).get_json()
    channel = direct.get("id") or direct["channel"]["id"]
    for h, body in ((headers, "Salut, c'est moi"), (other_headers, "Secret de l'autre")):
        sent = client.post(
            f"/api/v1/channels/{channel}/messages",
            json={"body": body, "client_id": body[:5]},
            headers=h,
        )
        assert sent.status_code == 201, sent.get_json()
    files = export_of(headers)
    assert [m["body"] for m in files["messages.json"]] == ["Salut, c'est moi"]
    assert "Secret de l'autre" not in str(files)


def test_skills(client, member_api, make_skill, export_of):
    member, headers = member_api()
    skill_id = make_skill("Menuiserie")
    client.put(
        "/api/v1/me/skills",
        json={"skills": [{"skill_id": skill_id, "level": "expert"}]},
        headers=headers,
    )
    files = export_of(headers)
    assert [(s["skill_id"], s["level"]) for s in files["skills.json"]] == [(skill_id, "expert")]


def test_workspaces(member_api, make_space, book, export_of):
    member, headers = member_api()
    space_id = make_space()
    day = next_weekday(1)
    answer = book(headers, space_id, at(day, 10), at(day, 11), title="Rendez-vous client")
    assert answer.status_code == 201, answer.get_json()
    files = export_of(headers)
    assert [b["title"] for b in files["bookings.json"]] == ["Rendez-vous client"]


def test_governance_open_votes_and_never_a_secret_choice(member_api, opened, vote, export_of):
    member, headers = member_api()
    staff, staff_headers = member_api(role="staff")
    open_one = opened(staff_headers, title="Ouverte")
    secret_one = opened(staff_headers, title="Secrète", secret=True, results="after_close")
    agree = option_id(open_one, "agree")
    assert vote(headers, open_one["id"], choice=agree, reason="Je suis pour").status_code == 200
    answer = vote(
        headers, secret_one["id"], choice=option_id(secret_one, "disagree"), reason="Raison secrète"
    )
    assert answer.status_code == 200
    files = export_of(headers)
    votes = files["votes.json"]
    assert [(v["decision_id"], v["reason"]) for v in votes] == [(open_one["id"], "Je suis pour")]
    assert "Raison secrète" not in str(files)
    assert all(v["decision_id"] != secret_one["id"] for v in votes)
    electorates = {e["decision_id"] for e in files["decision_electorates.json"]}
    assert secret_one["id"] in electorates  # that they took part, never what they chose


def test_services(member_api, make_service, ask, export_of):
    member, headers = member_api()
    answer = ask(headers, make_service(), subject="Ma question à la compta")
    assert answer.status_code == 201, answer.get_json()
    files = export_of(headers)
    assert [r["subject"] for r in files["service_requests.json"]] == ["Ma question à la compta"]


def test_mutual_aid(member_api, post_offer, export_of):
    member, headers = member_api()
    post_offer(headers, title="Je propose un coup de main")
    files = export_of(headers)
    assert [o["title"] for o in files["aid_offers.json"]] == ["Je propose un coup de main"]


def test_consents_and_notifications(client, member_api, export_of):
    member, headers = member_api()
    answer = client.patch("/api/v1/me/consents", json={"e_convocation": True}, headers=headers)
    assert answer.status_code == 200 and answer.get_json()["e_convocation"] is True
    files = export_of(headers)
    assert [(c["purpose"], c["granted"]) for c in files["consents.json"]] == [
        ("e_convocation", True)
    ]
    # the first export's notification is in the second one
    assert any(n["kind"] == "data_export_ready" for n in export_of(headers)["notifications.json"])


def test_another_members_export_answers_404(client, member_api):
    member, headers = member_api()
    other, other_headers = member_api()
    export = client.post("/api/v1/me/export", headers=headers).get_json()
    assert client.get(export["url"], headers=other_headers).status_code == 404
    assert client.get(export["download_url"], headers=other_headers).status_code == 404
    assert client.get("/api/v1/me/exports/999999", headers=headers).status_code == 404
    assert client.post("/api/v1/me/export").status_code == 401
