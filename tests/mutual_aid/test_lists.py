"""The offers list costs the same statements for 3 or 30 offers (no N+1), and offers are
found by the search until they are withdrawn."""

from tests.search.conftest import eventually, found


def test_the_offers_page_costs_no_more_with_more_offers(
    member_api, post_offer, login, queries_of, make_skill, client
):
    skill = make_skill("Site web")
    author, headers = member_api()
    for n in range(3):
        post_offer(headers, title=f"Offre {n}", skills=[skill])
    login(author)
    few, page = queries_of("/entraide/")
    assert "Offre 2" in page
    for n in range(3, 30):
        post_offer(headers, title=f"Offre {n}", skills=[skill], place="city", city=f"Ville {n}")
    many, page = queries_of("/entraide/")
    assert "Offre 29" in page and many == few
    api_few = queries_of("/api/v1/offers", c=client)  # the same client: cookie session
    assert api_few[0] <= few


def test_offers_are_searchable_until_withdrawn(client, member_api, post_offer, search_index):
    _author, headers = member_api()
    offer = post_offer(headers, title="Traduction anglaise de plaquettes", body="Relecture")
    assert eventually(lambda: ("aid_offer", offer["id"]) in found(client, "plaquettes", headers))
    client.delete(f"/api/v1/offers/{offer['id']}", headers=headers)
    assert eventually(
        lambda: ("aid_offer", offer["id"]) not in found(client, "plaquettes", headers)
    )
