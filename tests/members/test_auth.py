from tests.conftest import PASSWORD, form_post


def test_login_then_home_shows_the_member(client, make_member):
    member = make_member(display_name="Camille Martin")
    response = form_post(client, "/login", {"email": member.email, "password": PASSWORD})
    assert response.status_code == 302
    assert "Camille Martin" in client.get("/").get_data(as_text=True)


def test_unknown_email_and_wrong_password_get_the_same_answer(client, make_member):
    member = make_member()
    wrong = form_post(client, "/login", {"email": member.email, "password": "nope-nope-nope"})
    unknown = form_post(client, "/login", {"email": "ghost@example.org", "password": "x" * 12})
    assert wrong.status_code == unknown.status_code == 401
    assert "Adresse e-mail inconnue ou mot de passe erroné" in wrong.get_data(as_text=True) or \
        "Unknown e-mail or wrong password." in wrong.get_data(as_text=True)
    assert _flash(wrong) == _flash(unknown)


def _flash(response):
    import re

    return re.findall(r'class="flash flash-error">([^<]+)<', response.get_data(as_text=True))


def test_anonymous_is_sent_to_login(client):
    response = client.get("/members")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_login_without_csrf_token_is_refused(client, make_member):
    member = make_member()
    response = client.post("/login", data={"email": member.email, "password": PASSWORD})
    assert response.status_code == 400
