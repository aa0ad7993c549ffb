"""What mutual aid lends the skills directory and find-collaborators through the kernel:
endorsement counts and names, open offers and past collaborations as reasons."""

EN = {"Accept-Language": "en"}


def _collaborate(taken_up, confirm, helper_h, helped_h, **fields):
    _offer, exchange = taken_up(helper_h, helped_h, **fields)
    confirm(helper_h, exchange["id"], "1")
    confirm(helped_h, exchange["id"], "1")


def test_profiles_and_directory_cards_show_endorsements(
    client, member_api, make_skill, hold, taken_up, confirm, login
):
    site = make_skill("Site web", "Website")
    helper, helper_h = member_api(display_name="Aline Web")
    helped, helped_h = member_api(display_name="Bruno Client")
    hold(helper, site)
    _collaborate(taken_up, confirm, helper_h, helped_h)
    client.post(
        f"/api/v1/members/{helper.id}/endorsements",
        json={"skills": [site], "comment": "Rapide et clair"},
        headers=helped_h,
    )
    login(helped)
    profile = client.get(f"/members/{helper.id}", headers=EN).get_data(as_text=True)
    assert "1 endorsement" in profile and "Bruno Client" in profile and "Rapide et clair" in profile
    assert "/entraide/endorsements/" in profile  # the endorser may withdraw it
    cards = client.get(f"/members?skill={site}", headers=EN).get_data(as_text=True)
    assert "endorsed by Bruno Client (1)" in cards


def test_find_collaborators_gives_offers_and_past_work_as_reasons(
    client, member_api, make_skill, hold, taken_up, confirm, token_for, post_offer
):
    site = make_skill("Site web", "Website")
    helper, helper_h = member_api(display_name="Aline Web")
    asker, asker_h = member_api(display_name="Bruno Client")
    hold(helper, site)
    post_offer(helper_h, skills=[site], title="Je peux aider pour un site vitrine")
    _collaborate(taken_up, confirm, helper_h, asker_h)
    found = client.post("/api/v1/collaborators", json={"skills": [site]}, headers=asker_h)
    assert found.status_code == 200, found.get_json()
    reasons = {r["member"]["display_name"]: r["reasons"] for r in found.get_json()["results"]}
    why = " | ".join(reasons["Aline Web"])
    assert "offers help" in why and "already collaborated with you" in why


def test_a_member_may_show_their_collaborations_to_others(
    app, client, member_api, make_skill, hold, taken_up, confirm, login
):
    site = make_skill("Site web", "Website")
    helper, helper_h = member_api(display_name="Aline Web")
    _partner, partner_h = member_api(display_name="Bruno Client")
    third, third_h = member_api(display_name="Chloé Tiers")
    hold(helper, site)
    _collaborate(taken_up, confirm, helper_h, partner_h)
    from tests.conftest import form_post

    def reasons_for_third():
        found = client.post("/api/v1/collaborators", json={"skills": [site]}, headers=third_h)
        return " | ".join(
            {r["member"]["display_name"]: r["reasons"] for r in found.get_json()["results"]}[
                "Aline Web"
            ]
        )

    assert "collaborated" not in reasons_for_third()  # nothing shown until she chooses
    login(third)
    assert "Bruno Client" not in client.get(f"/members/{helper.id}").get_data(as_text=True)
    hers = login(helper, c=app.test_client())
    shown = form_post(hers, "/entraide/preferences", {"show": "1"}, page="/entraide/")
    assert shown.status_code == 302
    assert "has already collaborated with Bruno Client" in reasons_for_third()
    assert "Bruno Client" in client.get(f"/members/{helper.id}").get_data(as_text=True)


def test_directory_cards_and_skill_pages_show_open_offers(
    client, member_api, make_skill, hold, post_offer, login
):
    site = make_skill("Site web", "Website")
    helper, helper_h = member_api(display_name="Aline Web")
    viewer, _viewer_h = member_api(display_name="Bruno Client")
    hold(helper, site)
    first = post_offer(helper_h, skills=[site], title="Relire vos devis")
    post_offer(helper_h, skills=[site], title="Un site vitrine en un jour")
    post_offer(helper_h, kind="need", title="Je cherche un comptable")  # a need is not an offer
    login(viewer)

    def card():
        page = client.get("/members?q=Aline", headers=EN).get_data(as_text=True)
        return page[page.index("Aline Web") :]

    assert "offers help: “Un site vitrine en un jour” and 1 other offer" in card()
    assert "comptable" not in card()
    skill_page = client.get(f"/skills/{site}", headers=EN).get_data(as_text=True)
    assert "offers help: “" in skill_page
    assert client.delete(f"/api/v1/offers/{first['id']}", headers=helper_h).status_code == 204
    assert "offers help: “Un site vitrine en un jour”</span>" in card()
    french = client.get("/members?q=Aline", headers={"Accept-Language": "fr"})
    assert "propose son aide : « Un site vitrine en un jour »" in french.get_data(as_text=True)
