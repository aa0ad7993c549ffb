"""What a decision's page and the feed's decision cards read: the electorate's list the same
whichever way it is read, the open votes latest first, and cards that ask the database
nothing more per decision (the viewer's elector rows and votes are read once a page)."""

import re

import pytest

from tests.governance.conftest import option_id


def _electors_list(page: str) -> list[str]:
    found = re.search(r'<ul class="plain columns">(.*?)</ul>', page, re.S)
    assert found, "no electorate list on the page"
    items = re.findall(r"<li>(.*?)</li>", found.group(1))
    # "Name ✓" for who voted: the mark and its hidden text, without their tags
    return [
        re.sub(r'<span aria-hidden="true">(.*?)</span><span[^>]*>.*?</span>', r"\1", i)
        for i in items
    ]


@pytest.mark.parametrize("walk", [False, True], ids=["sorted-electorate", "members-in-order"])
def test_the_electorate_list_is_in_name_order_with_who_voted(
    app, member_api, make_member, opened, vote, login, monkeypatch, walk
):
    from network.governance import queries

    if walk:  # a large electorate: members walked in name order, each looked up
        monkeypatch.setattr(queries, "WALK_MEMBERS_ABOVE", 0)
    author, headers = member_api(display_name="Zoé Auteur", status="associate")
    names = ["Bruno Vert", "Amélie Rose", "Chloé Bleu", "Alain Noir"]
    voters = [member_api(display_name=name) for name in names]
    make_member(display_name="Aaron Candidat", status="candidate")  # not in the electorate
    decision = opened(
        headers,
        kind="single_choice",
        options=["Lyon", "Paris"],
        electorate="statuses",
        statuses=["employee_entrepreneur", "associate"],
        results="always",
    )
    for _member, voter_headers in voters[:2]:
        answer = vote(voter_headers, decision["id"], choice=option_id(decision, "Lyon"))
        assert answer.status_code == 200
    c = login(author, c=app.test_client())
    page = c.get(f"/decisions/{decision['id']}", headers={"Accept-Language": "en"})
    listed = _electors_list(page.get_data(as_text=True))
    assert listed == [
        "Alain Noir",
        "Amélie Rose ✓",
        "Bruno Vert ✓",
        "Chloé Bleu",
        "Zoé Auteur",
    ]


def test_the_electorate_list_stops_at_its_limit(app, member_api, opened, login, monkeypatch):
    from network.governance import queries, views

    author, headers = member_api(display_name="Zoé Auteur")
    for name in ("Bruno Vert", "Amélie Rose", "Chloé Bleu"):
        member_api(display_name=name)
    decision = opened(headers, kind="proposal", electorate="members")
    c = login(author, c=app.test_client())
    page = c.get(f"/decisions/{decision['id']}", headers={"Accept-Language": "en"})
    assert len(_electors_list(page.get_data(as_text=True))) == 4  # a small electorate: inline
    monkeypatch.setattr(views, "PAGE_ELECTORS", 2)
    page = c.get(f"/decisions/{decision['id']}", headers={"Accept-Language": "en"})
    assert '<ul class="plain columns">' not in page.get_data(as_text=True)  # too many: apart
    assert "The whole electorate and every vote" in page.get_data(as_text=True)
    monkeypatch.setattr(views, "ALL_ELECTORS", 2)
    for walk in (0, 10_000):
        monkeypatch.setattr(queries, "WALK_MEMBERS_ABOVE", walk)
        whole = c.get(f"/decisions/{decision['id']}/electorate", headers={"Accept-Language": "en"})
        assert _electors_list(whole.get_data(as_text=True)) == ["Amélie Rose", "Bruno Vert"]


def test_open_votes_are_listed_latest_first_with_reasons(app, member_api, opened, vote, login):
    author, headers = member_api()
    first, first_headers = member_api(display_name="Première Votante")
    second, second_headers = member_api(display_name="Second Votant")
    decision = opened(headers, kind="single_choice", options=["Lyon", "Paris"], results="always")
    lyon, paris = option_id(decision, "Lyon"), option_id(decision, "Paris")
    assert vote(first_headers, decision["id"], choice=lyon, reason="Plus proche").status_code == 200
    assert vote(second_headers, decision["id"], choice=paris).status_code == 200
    c = login(author, c=app.test_client())
    page = c.get(f"/decisions/{decision['id']}", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    listed = text[text.index("Votes and reasons") :]
    assert listed.index("Second Votant") < listed.index("Première Votante")
    assert re.search(r"Second Votant</strong> —\s*Paris", listed)
    assert re.search(r"Première Votante</strong> —\s*Lyon\s*<p class=\"muted\">Plus proche", listed)
    # a changed vote moves up
    assert vote(first_headers, decision["id"], choice=paris).status_code == 200
    text = c.get(f"/decisions/{decision['id']}").get_data(as_text=True)
    listed = text[text.index('class="plain decision-votes"') :]
    assert listed.index("Première Votante") < listed.index("Second Votant")


def test_feed_cards_read_the_viewers_rows_once_a_page(
    app, member_api, make_member, opened, vote, login, queries_of
):
    author, headers = member_api(status="associate")
    viewer, viewer_headers = member_api()
    outsider_made = make_member(status="candidate")
    c = login(viewer, c=app.test_client())
    counts = []
    for batch in range(2):
        for n in range(3):
            decision = opened(
                headers,
                kind="single_choice",
                title=f"Question {batch}-{n}",
                options=["Lyon", "Paris"],
                results="always",
            )
            if n == 0:
                answer = vote(viewer_headers, decision["id"], choice=option_id(decision, "Paris"))
                assert answer.status_code == 200
        queries_of("/feed", c)  # counts the tallies once (they are then remembered)
        statements, page = queries_of("/feed", c)
        counts.append(statements)
    assert counts[1] == counts[0]  # six cards ask no more than three
    assert page.count("You have voted") == 2
    assert len(re.findall(r'value="\d+"\s+checked', page)) == 2  # the viewer's choice, shown
    assert page.count("data-vote-form") == 6  # electors all: each card has its vote
    outsider = login(outsider_made, c=app.test_client())
    seen = outsider.get("/feed", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert seen.count("You are not in this decision's electorate") == 6
    assert "data-vote-form" not in seen


def _card_of(page: str, decision_id: int) -> str:
    found = re.search(rf'<article[^>]*id="decision-{decision_id}".*?</article>', page, re.S)
    assert found, "no card for the decision"
    return found.group(0)


def _text(card: str) -> str:
    return re.sub(r"<[^>]+>", "", card)


def _checked(card: str) -> list[str]:
    return re.findall(r'value="(\d+)"\s+checked', card)


def test_feed_cards_show_each_reader_their_vote_and_the_count_as_it_stands(
    app, member_api, opened, vote, login
):
    """Parts of the cards are rendered once for many readers: each reader still sees their
    own vote, and everyone the turnout and the count after each vote, in their language."""
    author, headers = member_api(status="associate")
    first, first_headers = member_api()
    second, second_headers = member_api()
    decision = opened(headers, kind="single_choice", options=["Lyon", "Paris"], results="always")
    lyon, paris = option_id(decision, "Lyon"), option_id(decision, "Paris")
    first_client = login(first, c=app.test_client())
    second_client = login(second, c=app.test_client())

    def card(c, language="en"):
        page = c.get("/feed", headers={"Accept-Language": language}).get_data(as_text=True)
        return _card_of(page, decision["id"])

    before = card(first_client)
    assert _checked(before) == [] and "0 of 3 voters have voted" in _text(before)
    assert vote(first_headers, decision["id"], choice=lyon).status_code == 200
    mine, theirs = card(first_client), card(second_client)
    assert _checked(mine) == [str(lyon)] and "Change my vote" in mine
    assert _checked(theirs) == [] and "Change my vote" not in theirs
    assert "1 of 3 voters have voted" in _text(mine) and "1 of 3 voters have voted" in _text(theirs)
    assert "1 (100 %)" in theirs
    assert vote(second_headers, decision["id"], choice=paris).status_code == 200
    mine, theirs = card(first_client), card(second_client)
    assert _checked(mine) == [str(lyon)] and _checked(theirs) == [str(paris)]
    assert "2 of 3 voters have voted" in _text(mine) and mine.count("1 (50 %)") == 2
    french = card(second_client, "fr")
    assert "Modifier mon vote" in french and "Choix unique" in french
    assert "2 votant·es sur 3 ont voté" in _text(french)
    csrf = re.findall(r'name="csrf_token" value="([^"]+)"', mine + theirs)
    assert len(set(csrf)) == 2  # each reader's own token
