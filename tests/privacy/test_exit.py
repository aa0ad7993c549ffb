"""The exit of a member: no personal data left in the database (every text column scanned
for their name and e-mail address), while counts and legal records are unchanged."""

from sqlalchemy import String, Text, func, select
from sqlalchemy.types import JSON

from network.core.models import Base
from network.extensions import db
from tests.governance.conftest import option_id
from tests.privacy.conftest import at, next_weekday

NAME = "Zéphyrine Quillard"
EMAIL = "zephyrine.quillard@example.org"
NEEDLES = ("zéphyrine", "zephyrine", "quillard")


def _text_columns():
    for mapper in Base.registry.mappers:
        table = mapper.local_table
        columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
        if columns:
            yield table, columns


def _scan(app) -> list[tuple[str, str, str]]:
    """(table, column, value) of every text value holding the former member's name or e-mail."""
    found = []
    with app.app_context():
        for table, columns in _text_columns():
            for row in db.session.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    text = str(value).lower()
                    if any(needle in text for needle in NEEDLES):
                        found.append((table.name, column.name, str(value)[:80]))
    return found


def _counts(app) -> dict[str, int]:
    from network.chat.models import Message
    from network.feed.models import Comment, Post
    from network.governance.models import Elector, Vote
    from network.workspaces.models import Booking

    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Post, Comment, Message, Booking, Vote, Elector)
        }


def _a_busy_member(
    client, member_api, make_space, book, opened, make_skill, post_offer, ask, make_service
):
    """A member who wrote in every module, and a neighbour who answered them."""
    member, headers = member_api(
        display_name=NAME,
        email=EMAIL,
        bio="Je suis Zéphyrine, menuisière",
        city="Quillard-sur-Loire",
        website="https://zephyrine.example.org",
    )
    other, other_headers = member_api(display_name="Voisine Durand")
    staff, staff_headers = member_api(role="staff", display_name="Paul Appui")
    post = client.post("/api/v1/posts", json={"body": "Bonjour la coopérative"}, headers=headers)
    post_id = post.get_json()["id"]
    their = client.post("/api/v1/posts", json={"body": "Un post voisin"}, headers=other_headers)
    client.post(
        f"/api/v1/posts/{their.get_json()['id']}/comments",
        json={"body": "Bravo !"},
        headers=headers,
    )  # notifies the neighbour, naming the member
    client.put(f"/api/v1/posts/{post_id}/reactions/👍", headers=other_headers)
    direct = client.post("/api/v1/direct", json={"member_ids": [other.id]}, headers=headers)
    channel = direct.get_json().get("id") or direct.get_json()["channel"]["id"]
    client.post(
        f"/api/v1/channels/{channel}/messages",
        json={"body": "Un message privé", "client_id": "m1"},
        headers=headers,
    )
    day = next_weekday(2)
    assert book(headers, make_space(), at(day, 9), at(day, 10)).status_code == 201
    skill_id = make_skill("Marqueterie")
    client.put(
        "/api/v1/me/skills",
        json={"skills": [{"skill_id": skill_id, "level": "expert"}]},
        headers=headers,
    )
    post_offer(headers, title="Coup de main en menuiserie")
    assert ask(headers, make_service(), subject="Question de paie").status_code == 201
    decision = opened(staff_headers, title="Charte")
    client.put(
        f"/api/v1/decisions/{decision['id']}/vote",
        json={"choice": option_id(decision, "agree")},
        headers=headers,
    )
    client.patch("/api/v1/me/consents", json={"e_convocation": True}, headers=headers)
    client.post("/api/v1/me/export", headers=headers)
    return member, headers, staff_headers, post_id


def test_an_exit_leaves_no_personal_data_and_keeps_the_record(
    app, client, member_api, make_space, book, opened, make_skill, post_offer, ask, make_service
):
    member, headers, staff_headers, post_id = _a_busy_member(
        client, member_api, make_space, book, opened, make_skill, post_offer, ask, make_service
    )
    assert _scan(app), "the scan finds the member before their exit"
    before = _counts(app)
    answer = client.post(
        f"/api/v1/admin/members/{member.id}/exit",
        json={"reason": "erasure"},
        headers=staff_headers,
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["display_name"] == f"Ancien·ne membre #{member.id}"
    assert answer.get_json()["removed"]["skills"] == 1
    assert _scan(app) == []
    assert _counts(app) == before  # votes counted, bookings history, writings kept
    post = client.get(f"/api/v1/posts/{post_id}", headers=staff_headers).get_json()
    assert post["body"] == "Bonjour la coopérative"  # what they wrote stays (under "Ancien·ne")
    assert client.get("/api/v1/me", headers=headers).status_code == 401  # tokens revoked
    with app.app_context():
        from network.core.audit import AuditEvent

        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "member_exit"))
        assert event.subject_id == member.id and "Quillard" not in str(event.details)


def test_an_exit_may_delete_the_writings_and_still_counts(
    app, client, member_api, make_space, book, opened, make_skill, post_offer, ask, make_service
):
    member, headers, staff_headers, post_id = _a_busy_member(
        client, member_api, make_space, book, opened, make_skill, post_offer, ask, make_service
    )
    before = _counts(app)
    answer = client.post(
        f"/api/v1/admin/members/{member.id}/exit",
        json={"reason": "erasure", "delete_writings": True},
        headers=staff_headers,
    )
    assert answer.status_code == 200, answer.get_json()
    assert _counts(app) == before
    with app.app_context():
        from network.chat.models import Message
        from network.feed.models import Post

        assert db.session.get(Post, post_id).body == ""
        assert db.session.scalar(select(Message.body).where(Message.author_id == member.id)) == ""


def test_exit_failures(client, member_api, make_member):
    member, headers = member_api()
    staff, staff_headers = member_api(role="staff")
    url = f"/api/v1/admin/members/{member.id}/exit"
    assert client.post(url, json={"reason": "erasure"}).status_code == 401
    assert client.post(url, json={"reason": "erasure"}, headers=headers).status_code == 403
    missing = client.post(
        "/api/v1/admin/members/999999/exit", json={"reason": "erasure"}, headers=staff_headers
    )
    assert missing.status_code == 404
    bad = client.post(url, json={"reason": "bored"}, headers=staff_headers)
    assert bad.status_code == 422 and "reason" in bad.get_json()["errors"]
    bad = client.post(
        url, json={"reason": "erasure", "delete_writings": "yes"}, headers=staff_headers
    )
    assert bad.status_code == 422
    not_left = client.post(url, json={"reason": "alumnus"}, headers=staff_headers)
    assert not_left.status_code == 409  # record the exit stage first
    own = client.post(
        f"/api/v1/admin/members/{staff.id}/exit", json={"reason": "erasure"}, headers=staff_headers
    )
    assert own.status_code == 409
    assert client.post(url, json={"reason": "erasure"}, headers=staff_headers).status_code == 200
    again = client.post(url, json={"reason": "erasure"}, headers=staff_headers)
    assert again.status_code == 409


def test_an_alumnus_exit_from_the_staff_page(app, client, make_member, login):
    from tests.conftest import form_post

    member = make_member(status="alumnus", display_name=NAME, email=EMAIL)
    login(make_member(role="staff"))
    page = client.get(f"/staff/members/{member.id}/exit")
    assert page.status_code == 200
    done = form_post(
        client,
        f"/staff/members/{member.id}/exit",
        {"reason": "alumnus"},
        page=f"/staff/members/{member.id}/exit",
        follow_redirects=True,
    )
    assert done.status_code == 200
    assert _scan(app) == []


def test_after_an_exit_search_no_longer_finds_the_name(app, client, member_api, search_index):
    from tests.search.conftest import eventually, found

    member, headers = member_api(display_name=NAME, email=EMAIL)
    staff, staff_headers = member_api(role="staff")
    post = client.post("/api/v1/posts", json={"body": "Atelier marqueterie"}, headers=headers)
    post_id = post.get_json()["id"]
    assert eventually(lambda: ("post", post_id) in found(client, "Quillard", staff_headers))
    answer = client.post(
        f"/api/v1/admin/members/{member.id}/exit",
        json={"reason": "erasure"},
        headers=staff_headers,
    )
    assert answer.status_code == 200
    assert eventually(lambda: not found(client, "Quillard", staff_headers))
    assert ("post", post_id) in found(client, "marqueterie", staff_headers)


def test_the_exit_page_is_for_staff(client, make_member, login):
    member = make_member()
    assert client.get(f"/staff/members/{member.id}/exit").status_code == 302  # sign in first
    login(make_member())
    assert client.get(f"/staff/members/{member.id}/exit").status_code == 403
    assert client.get("/staff/members/999999/exit").status_code == 403  # staff check first
