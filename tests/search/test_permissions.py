"""Nothing reaches a viewer who may not see it: not in results, snippets or counts; the index
is only a cache, so every hit is re-checked against the database."""

import pytest
from sqlalchemy import text

from network.extensions import db
from network.search.backend import WhooshBackend
from tests.conftest import form_post
from tests.search.conftest import api_search, found

STAFF_ONLY_WORDS = ["villeurbanne", "Villeurbanne", "zythologie", "zythologie Villeurbanne"]


@pytest.fixture
def secretive(search_index, make_member):
    """A member whose city and bio are for the support team only."""
    return make_member(
        display_name="Inès Secret",
        trade="Brasseuse",
        city="Villeurbanne",
        postcode="69100",
        vis_location="staff",
        bio="Passionnée de zythologie.",
        vis_bio="staff",
    )


@pytest.mark.parametrize("q", [*STAFF_ONLY_WORDS, "Villeur", "zytho", "69100"])
def test_a_staff_only_field_is_not_found_by_members(client, viewer, secretive, q):
    answer = api_search(client, q, viewer)
    assert answer["results"] == []
    assert answer["counts"] == {}


def test_a_staff_only_field_never_reaches_a_members_page(client, login, make_member, secretive):
    login(make_member())
    for q in STAFF_ONLY_WORDS:
        page = client.get("/search", query_string={"q": q}).get_data(as_text=True)
        assert "Inès Secret" not in page
        assert '<span class="count">' not in page


def test_a_member_with_hidden_fields_is_still_found_by_name_without_them(client, viewer, secretive):
    results = api_search(client, "Inès", viewer)["results"]
    assert [(r["kind"], r["id"]) for r in results] == [("member", secretive.id)]
    snippet = results[0]["snippet"]
    assert "Villeurbanne" not in snippet and "zythologie" not in snippet
    brewer = api_search(client, "brasseuse", viewer)["results"]
    assert [r["id"] for r in brewer] == [secretive.id]
    assert "Villeurbanne" not in brewer[0]["snippet"]
    assert "zythologie" not in brewer[0]["snippet"]


def test_staff_find_staff_only_fields(client, staff_viewer, secretive):
    for q in ["villeurbanne", "zythologie"]:
        answer = api_search(client, q, staff_viewer)
        assert {(r["kind"], r["id"]) for r in answer["results"]} == {("member", secretive.id)}
        assert answer["counts"]["member"] >= 1
    snippet = api_search(client, "zythologie", staff_viewer)["results"][0]["snippet"]
    assert '<mark class="hit term0">zythologie</mark>' in snippet


def test_a_staff_only_activity_is_not_found_by_members(
    client, search_index, make_member, viewer, staff_viewer
):
    brewer = make_member(
        display_name="Paul Houblon", trading_name="Brasserie Clandestine", vis_activity="staff"
    )
    assert found(client, "clandestine", viewer) == set()
    assert api_search(client, "clandestine", viewer)["counts"] == {}
    assert ("activity", brewer.id) in found(client, "clandestine", staff_viewer)


def test_a_public_activity_is_found_with_its_kind(client, search_index, make_member, viewer):
    maker = make_member(display_name="Léa Bois", trading_name="Atelier Copeau", trade="Ébéniste")
    answer = api_search(client, "copeau", viewer, kind="activity")
    assert [(r["kind"], r["id"]) for r in answer["results"]] == [("activity", maker.id)]
    assert answer["results"][0]["title"] == "Atelier Copeau"
    assert answer["results"][0]["url"] == f"/members/{maker.id}"
    assert answer["counts"] == {"activity": 1, "member": 1}  # the profile names it too


def test_a_deactivated_member_disappears_once_the_deactivation_commits(
    client, staff_client, search_index, make_member, viewer
):
    leaving = make_member(display_name="Marc Départ", trade="Couvreur")
    assert found(client, "couvreur", viewer) == {("member", leaving.id)}
    response = form_post(
        staff_client,
        f"/staff/members/{leaving.id}/deactivate",
        page=f"/staff/members/{leaving.id}",
    )
    assert response.status_code == 302
    for q in ["couvreur", "Marc", "Départ"]:
        answer = api_search(client, q, viewer)
        assert answer["results"] == [] and answer["counts"] == {}


@pytest.fixture
def stale_index(app, client, staff_client, search_index, make_member, viewer, monkeypatch):
    """A member deactivated through the staff page while the index missed the change."""
    leaving = make_member(display_name="Marc Départ", trade="Couvreur")
    assert found(client, "couvreur", viewer) == {("member", leaving.id)}
    with monkeypatch.context() as patched:
        patched.setattr(WhooshBackend, "update", lambda self, refs, docs: None)
        patched.setattr("network.search.indexing.write", lambda *args, **kwargs: None)
        form_post(
            staff_client,
            f"/staff/members/{leaving.id}/deactivate",
            page=f"/staff/members/{leaving.id}",
        )
    return leaving


def test_a_deactivated_member_left_in_a_stale_index_is_never_shown(
    client, login, make_member, viewer, stale_index
):
    assert api_search(client, "couvreur", viewer)["results"] == []
    assert api_search(client, "Marc", viewer)["results"] == []
    login(make_member())
    assert "Marc Départ" not in client.get("/search?q=couvreur").get_data(as_text=True)


def test_a_deleted_member_left_in_the_index_is_never_shown(
    app, client, search_index, make_member, viewer
):
    gone = make_member(display_name="Nina Effacée", trade="Vitrailliste")
    assert found(client, "vitrailliste", viewer) == {("member", gone.id)}
    with app.app_context():
        members = db.metadata.tables["members"]
        if db.engine.dialect.name == "postgresql":  # the audit log's guard lets this one go
            db.session.execute(text("SELECT set_config('terreau.audit_retention', 'on', true)"))
        for table in reversed(db.metadata.sorted_tables):  # its tokens, audit rows…
            for key in table.foreign_keys:
                if key.column.table is members:
                    db.session.execute(table.delete().where(key.parent == gone.id))
        db.session.execute(members.delete().where(members.c.id == gone.id))
        db.session.commit()
    assert api_search(client, "vitrailliste", viewer)["results"] == []


def test_a_member_deactivated_in_the_database_only_is_never_shown(
    app, client, search_index, make_member, viewer
):
    quiet = make_member(display_name="Omar Discret", trade="Tapissier")
    with app.app_context():
        db.session.execute(
            text("UPDATE members SET is_active = :no WHERE id = :id"), {"no": False, "id": quiet.id}
        )
        db.session.commit()
    assert api_search(client, "tapissier", viewer)["results"] == []


def test_a_stale_hit_is_not_counted(client, viewer, stale_index):
    assert api_search(client, "couvreur", viewer)["counts"] == {}


@pytest.mark.parametrize("bio_visibility", ["members", "staff"])
def test_snippets_are_html_escaped(client, login, make_member, search_index, bio_visibility):
    writer = make_member(
        display_name="Hugo <b>Gras</b>",
        bio="Ébéniste `<script>alert(1)</script>` <img src=x onerror=alert(2)>",  # code: shown
        vis_bio=bio_visibility,
    )
    reader = make_member(role="staff" if bio_visibility == "staff" else "member")
    login(reader)
    for q in ["ébéniste", "script", "alert", "Hugo", "Hug"]:  # highlighted and opening snippets
        answer = client.get("/api/v1/search", query_string={"q": q}).get_json()
        assert {r["id"] for r in answer["results"]} == {writer.id}, q
        for snippet in (r["snippet"] for r in answer["results"]):
            assert "<script" not in snippet and "<img" not in snippet and "<b>" not in snippet
        if q == "script":
            assert any(
                '&lt;<mark class="hit term0">script</mark>&gt;' in r["snippet"]
                for r in answer["results"]
            )
        page = client.get("/search", query_string={"q": q}).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page
        assert "<img src=x" not in page and "<b>Gras</b>" not in page
        assert "Hugo &lt;b&gt;Gras&lt;/b&gt;" in page


def test_staff_see_each_member_once(client, search_index, make_member, staff_viewer):
    carpenter = make_member(display_name="Rémi Charpente", trade="Charpentier")
    answer = api_search(client, "charpentier", staff_viewer)
    assert [(r["kind"], r["id"]) for r in answer["results"]] == [("member", carpenter.id)]
    assert answer["counts"] == {"member": 1}
