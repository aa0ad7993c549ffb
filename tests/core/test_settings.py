import time

from sqlalchemy import text

from network.cooperative.settings import KEY, Kept
from network.extensions import db
from tests.conftest import form_post

EN = {"Accept-Language": "en"}
VALID = {
    "name": "Coopérative Oxalis",
    "timezone": "Europe/Paris",
    "cape_max_months": "12",
    "cape_max_renewals": "2",
    "associate_deadline_years": "3",
    "associate_deadline_deducts_cape": "1",
    "associate_warning_days": "120",
}


def test_admin_changes_the_cooperative_settings(client, login, make_member):
    login(make_member(role="admin"))
    response = form_post(client, "/admin/settings", VALID, page="/admin/settings")
    assert response.status_code == 302
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "Coopérative Oxalis" in page and 'value="120"' in page
    chosen = {**VALID, "ag_extraordinary_2_quorum": "2/3"}
    assert form_post(client, "/admin/settings", chosen, page="/admin/settings").status_code == 302
    page = client.get("/admin/settings").get_data(as_text=True)
    assert '<option value="2/3" selected>' in page  # the statutes' rules, chosen from a list


def test_bad_settings_are_refused_and_the_old_ones_kept(client, login, make_member):
    login(make_member(role="admin"))
    form_post(client, "/admin/settings", VALID, page="/admin/settings")
    for field, value, message in (
        ("timezone", "Mars/Olympus", "Unknown time zone."),
        ("cape_max_months", "0", "Must be between 1 and 36."),
        ("associate_deadline_years", "trois", "whole number"),
        ("name", "", "Give a name of 1 to 120 characters."),
        ("ag_extraordinary_1_quorum", "9/10", "Choose one of: No quorum, A quarter"),
    ):
        response = form_post(
            client, "/admin/settings", {**VALID, field: value}, page="/admin/settings", headers=EN
        )
        assert response.status_code == 422, field
        assert message in response.get_data(as_text=True)
    assert "Coopérative Oxalis" in client.get("/admin/settings").get_data(as_text=True)


def test_staff_who_are_not_admins_cannot_change_settings(client, login, make_member):
    login(make_member(role="staff"))
    assert client.get("/admin/settings").status_code == 403
    assert form_post(client, "/admin/settings", VALID, page="/members").status_code == 403


def test_the_cooperative_timezone_localises_dates(client, login, make_member):
    import re

    login(make_member(role="admin"))
    form_post(client, "/me/tokens", {"name": "Horloge"}, page="/me/settings")

    def token_time():
        page = client.get("/me/settings", headers=EN).get_data(as_text=True)
        return re.search(r"<td>Horloge</td><td>([^<]+)</td>", page).group(1)

    paris = token_time()
    form_post(
        client, "/admin/settings", {**VALID, "timezone": "America/Cayenne"}, page="/admin/settings"
    )
    cayenne = token_time()
    assert paris != cayenne  # 4 or 5 hours apart, shown in the cooperative's time zone


def test_servers_keep_the_settings_a_moment_but_see_their_own_changes_at_once(
    app, client, login, make_member, monkeypatch
):
    """With several processes each keeps the settings `SETTINGS_CACHE_SECONDS`: a change it
    writes shows at once, one written by another process (here in SQL, behind its back) once
    the delay is over."""
    monkeypatch.setitem(app.extensions, KEY, Kept(0.5))
    login(make_member(role="admin"))
    assert "<title>" in client.get("/feed").text  # the settings are read and kept
    form_post(client, "/admin/settings", VALID, page="/admin/settings")
    assert "Coopérative Oxalis" in client.get("/feed").text
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text("UPDATE cooperatives SET name = 'Coopérative Ailleurs'"))
    time.sleep(0.6)
    assert "Coopérative Ailleurs" in client.get("/feed").text
