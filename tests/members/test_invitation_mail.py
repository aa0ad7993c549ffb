"""The invitation e-mail: the cooperative's name, the inviter, a personal note, in the
invitee's language (the staff form, the API and the CLI)."""

from email.header import decode_header, make_header

import pytest

from tests.conftest import form_post, link_in
from tests.core.test_settings import VALID

EN = {"Accept-Language": "en"}
JOIN = {
    "display_name": "Inès Benali",
    "password": "a long enough secret",
    "password_confirm": "a long enough secret",
}


def _subject(message):
    return str(make_header(decode_header(message["Subject"])))


def _body(message):
    return message.get_payload(decode=True).decode()


@pytest.fixture
def cooperative_named(app, make_member, login):
    admin = login(make_member(role="admin"), c=app.test_client())
    form_post(admin, "/admin/settings", {**VALID, "name": "Coopérative Oxalis"}, page="/")


def test_the_form_mails_the_note_in_french_by_default(
    app, client, login, make_member, outbox, cooperative_named
):
    login(make_member(role="staff", display_name="Claire Appui"))
    response = form_post(
        client,
        "/staff/invitations",
        {
            "email": "ines@example.org",
            "status": "support_contract",
            "display_name": "Inès",
            "note": "Ravie de t'accueillir !\nOn se voit jeudi à la réunion d'accueil.",
        },
        page="/staff/members",
    )
    assert response.status_code == 302
    message = outbox()[-1]
    assert _subject(message) == "Vous êtes invité·e à rejoindre Coopérative Oxalis sur Terreau"
    body = _body(message)
    assert "Bonjour Inès," in body
    assert "Claire Appui vous invite à rejoindre Coopérative Oxalis" in body
    assert "Claire Appui ajoute :" in body
    assert "> Ravie de t'accueillir !\n> On se voit jeudi à la réunion d'accueil." in body


def test_an_english_invitation_and_the_account_keeps_the_language(
    app, client, login, make_member, outbox, cooperative_named
):
    login(make_member(role="staff", display_name="Claire Appui"))
    form_post(
        client,
        "/staff/invitations",
        {"email": "sam@example.org", "status": "candidate", "locale": "en", "note": "Welcome!"},
        page="/staff/members",
    )
    message = outbox()[-1]
    assert _subject(message) == "You are invited to join Coopérative Oxalis on Terreau"
    body = _body(message)
    assert "Claire Appui invites you to join Coopérative Oxalis" in body
    assert "Claire Appui adds:" in body and "> Welcome!" in body
    path = link_in(message).split("localhost", 1)[1]
    newcomer = app.test_client()
    assert form_post(newcomer, path, JOIN, page=path).status_code == 302
    assert newcomer.get("/api/v1/me").get_json()["locale"] == "en"


def test_no_note_no_quote(client, login, make_member, outbox):
    login(make_member(role="staff"))
    form_post(
        client,
        "/staff/invitations",
        {"email": "x@example.org", "status": "candidate"},
        page="/staff/members",
    )
    assert "ajoute" not in _body(outbox()[-1]) and ">" not in _body(outbox()[-1])


def test_bad_notes_and_languages_are_explained(client, login, make_member, outbox):
    login(make_member(role="staff"))
    response = form_post(
        client,
        "/staff/invitations",
        {"email": "x@example.org", "status": "candidate", "note": "x" * 1001, "locale": "de"},
        page="/staff/members",
        headers=EN,
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "At most 1000 characters." in page
    assert outbox() == []


def test_the_api_invites_with_a_note(client, member_api, make_member, outbox, token_for):
    staff = make_member(role="staff", display_name="Claire Appui")
    response = client.post(
        "/api/v1/invitations",
        headers={**token_for(staff), **EN},
        json={
            "email": "api@example.org",
            "status": "candidate",
            "note": "À bientôt",
            "locale": "en",
        },
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["locale"] == "en"
    assert "> À bientôt" in _body(outbox()[-1])
    bad = client.post(
        "/api/v1/invitations",
        headers={**token_for(staff), **EN},
        json={"email": "api2@example.org", "status": "candidate", "note": 12, "locale": "xx"},
    )
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert bad.get_json()["errors"] == {"note": "At most 1000 characters."}
    bad_locale = client.post(
        "/api/v1/invitations",
        headers={**token_for(staff), **EN},
        json={"email": "api2@example.org", "status": "candidate", "locale": "xx"},
    )
    assert bad_locale.get_json()["errors"] == {"locale": "Choose French or English."}
    _member, headers = member_api()
    refused = client.post(
        "/api/v1/invitations",
        headers=headers,
        json={"email": "z@example.org", "status": "candidate"},
    )
    assert refused.status_code == 403


def test_the_cli_note(app, make_member, outbox):
    make_member(role="admin", display_name="Admin Principal", email="admin@example.org")
    result = app.test_cli_runner().invoke(
        args=[
            "members", "invite", "cli@example.org", "--status", "candidate",
            "--note", "Bienvenue parmi nous", "--by", "admin@example.org",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    body = _body(outbox()[-1])
    assert "Admin Principal ajoute :" in body and "> Bienvenue parmi nous" in body
