"""Decisions on the pages (drafting, voting from the feed without changing page, results as a
chart without JavaScript), live over Socket.IO, and found by search."""

import re

from tests.conftest import csrf_token
from tests.governance.conftest import later, option_id


def _form(c, path, data, page="/decisions", **kwargs):
    return c.post(path, data={"csrf_token": csrf_token(c, page), **data}, **kwargs)


def test_a_member_drafts_and_opens_a_decision_from_the_pages(app, make_member, login):
    author = make_member(status="associate")
    c = login(author, c=app.test_client())
    en = {"Accept-Language": "en"}
    form = c.get("/decisions/new", headers=en).get_data(as_text=True)
    assert "Propose a decision" in form and 'name="electorate"' in form
    bad = _form(
        c,
        "/decisions/new",
        {
            "kind": "single_choice",
            "title": "",
            "options": "A\nA",
            "closes_at": "2020-01-01T10:00",
            "electorate": "members",
            "visibility": "cooperative",
            "reason": "optional",
            "results": "always",
        },
        headers=en,
    )
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "This field is required." in page and "must be in the future" in page
    assert "A\nA</textarea>" in page  # nothing typed is lost
    created = _form(
        c,
        "/decisions/new",
        {
            "kind": "single_choice",
            "title": "Where to meet?",
            "options": "Lyon\nParis",
            "closes_at": later()[:16],
            "electorate": "members",
            "visibility": "cooperative",
            "reason": "optional",
            "results": "always",
            "remind": "1",
        },
        headers=en,
    )
    assert created.status_code == 302
    url = created.headers["Location"]
    draft = c.get(url, headers=en).get_data(as_text=True)
    assert "Open the vote" in draft and "Draft" in draft
    decision_id = int(url.rstrip("/").rsplit("/", 1)[1])
    opened = _form(c, f"/decisions/{decision_id}/open", {}, headers=en, follow_redirects=True)
    assert "The vote is open." in opened.get_data(as_text=True)
    assert "Close the vote now" in opened.get_data(as_text=True)


def test_voting_inline_from_the_feed_and_the_chart_without_javascript(
    app, member_api, opened, login
):
    author, headers = member_api()
    voter, _voter_headers = member_api()
    decision = opened(
        headers, kind="single_choice", options=["Lyon", "Paris"], results="after_vote"
    )
    c = login(voter, c=app.test_client())
    en = {"Accept-Language": "en"}
    feed = c.get("/feed", headers=en).get_data(as_text=True)
    assert f'id="decision-{decision["id"]}"' in feed
    assert "data-vote-form" in feed and "Where" not in feed
    assert "Results are shown to those who have voted" in feed
    inline = _form(
        c,
        f"/decisions/{decision['id']}/vote",
        {"choice": str(option_id(decision, "Paris"))},
        page="/feed",
        headers={**en, "X-Requested-With": "fetch"},
    )
    assert inline.status_code == 200
    card = inline.get_data(as_text=True)
    assert card.lstrip().startswith("{#") is False and 'class="feed-card decision-card"' in card
    assert "<html" not in card  # only the card: the feed stays where it is
    assert "You have voted" in card
    assert re.search(r'<rect x="0" y="0" height="10" width="100.0">', card)  # the SVG bar
    assert "1 (100 %)" in card
    bad = _form(
        c,
        f"/decisions/{decision['id']}/vote",
        {"choice": "nope"},
        page="/feed",
        headers={**en, "X-Requested-With": "fetch"},
    )
    assert (
        bad.status_code == 422
        and 'role="alert"' not in bad.get_data(as_text=True)
        or "field-error" in bad.get_data(as_text=True)
    )
    plain = _form(
        c,
        f"/decisions/{decision['id']}/vote",
        {"choice": str(option_id(decision, "Lyon")), "next": "/feed"},
        page="/feed",
        headers=en,
    )
    assert plain.status_code == 302 and plain.headers["Location"] == "/feed"
    page = c.get(f"/decisions/{decision['id']}", headers=en).get_data(as_text=True)
    assert "Votes and reasons" in page and voter.display_name in page


def test_ranked_choice_shows_every_round(app, member_api, opened, vote, login):
    author, headers = member_api()
    voters = [member_api()[1] for _ in range(4)]
    decision = opened(headers, kind="ranked_choice", options=["A", "B", "C"], results="always")
    o = {x["label"]: x["id"] for x in decision["options"]}
    rankings = ([o["A"], o["B"]], [o["B"], o["A"]], [o["C"], o["B"]], [o["B"], o["C"]])
    for h, ranking in zip(voters, rankings, strict=True):
        assert vote(h, decision["id"], ranking=ranking).status_code == 200
    c = login(author, c=app.test_client())
    page = c.get(f"/decisions/{decision['id']}", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "Instant-runoff rounds" in page and "Round 2" in page and "Exhausted ballots" in page


def test_voting_from_the_form_of_each_kind(app, member_api, opened, login):
    author, headers = member_api()
    c = login(author, c=app.test_client())
    ranked = opened(headers, kind="ranked_choice", options=["A", "B"])
    a, b = (x["id"] for x in ranked["options"])
    same = _form(
        c,
        f"/decisions/{ranked['id']}/vote",
        {f"rank-{a}": "1", f"rank-{b}": "1"},
        headers={"Accept-Language": "en"},
        follow_redirects=True,
    )
    assert "Give each option a different rank." in same.get_data(as_text=True)
    ok = _form(
        c,
        f"/decisions/{ranked['id']}/vote",
        {f"rank-{a}": "2", f"rank-{b}": "1"},
        headers={"Accept-Language": "en"},
        follow_redirects=True,
    )
    assert "Your vote is counted." in ok.get_data(as_text=True)
    poll = opened(headers, kind="date_poll", options=["2027-02-01T18:00", "2027-02-02T18:00"])
    x, y = (o["id"] for o in poll["options"])
    ok = _form(
        c,
        f"/decisions/{poll['id']}/vote",
        {f"answer-{x}": "yes", f"answer-{y}": "maybe"},
        headers={"Accept-Language": "en"},
        follow_redirects=True,
    )
    assert "Your vote is counted." in ok.get_data(as_text=True)
    secret = opened(headers, secret=True, results="after_close")
    ok = _form(
        c,
        f"/decisions/{secret['id']}/vote",
        {"choice": str(option_id(secret, "agree"))},
        headers={"Accept-Language": "en"},
        follow_redirects=True,
    )
    assert "Keep its receipt code" in ok.get_data(as_text=True)


def test_the_tally_and_turnout_are_live(app, member_api, opened, vote, connect):
    _author, headers = member_api()
    voter, voter_headers = member_api()
    watcher, watcher_headers = member_api()
    decision = opened(headers, results="after_vote")
    voter_socket, watcher_socket = connect(voter_headers), connect(watcher_headers)
    assert voter_socket.emit("watch_decision", {"decision_id": decision["id"]}, callback=True) == {
        "ok": True,
        "decision_id": decision["id"],
        "results": False,
    }
    watcher_socket.emit("watch_decision", {"decision_id": decision["id"]}, callback=True)
    assert (
        voter_socket.emit("watch_decision", {"decision_id": 999999}, callback=True)["status"] == 404
    )
    vote(voter_headers, decision["id"], choice=option_id(decision, "agree"))
    watched = voter_socket.emit("watch_decision", {"decision_id": decision["id"]}, callback=True)
    assert watched["results"] is True  # a voter now sees the results
    voter_socket.get_received()
    watcher_socket.get_received()
    vote(watcher_headers, decision["id"], choice=option_id(decision, "disagree"))
    heard = {e["name"]: e["args"][0] for e in voter_socket.get_received()}
    assert heard["decision_turnout"]["turnout"] == {"voted": 2, "electorate": 3}
    assert heard["decision_tally"]["results"]["ballots"] == 2
    # The watcher voted but had not asked again: turnout only, never the tally.
    watcher_heard = [e["name"] for e in watcher_socket.get_received()]
    assert "decision_turnout" in watcher_heard and "decision_tally" not in watcher_heard


def test_decisions_are_found_with_the_feeds_audience(app, client, member_api, opened, search_index):
    _author, headers = member_api(status="associate")
    _other, other_headers = member_api(status="employee_entrepreneur")
    opened(headers, title="Photovoltaïque sur le toit", context="Des panneaux solaires")
    opened(
        headers,
        title="Photovoltaïque des associés",
        electorate="associates",
        visibility="electorate",
    )
    found = client.get("/api/v1/search?q=photovoltaique", headers=other_headers).get_json()
    titles = [hit["title"] for hit in found["results"] if hit["kind"] == "decision"]
    assert titles == ["Photovoltaïque sur le toit"]
    mine = client.get("/api/v1/search?q=photovoltaique", headers=headers).get_json()
    assert len([hit for hit in mine["results"] if hit["kind"] == "decision"]) == 2


def test_the_decisions_page_lists_and_filters(app, member_api, opened, login):
    author, headers = member_api()
    opened(headers, title="Open question")
    c = login(author, c=app.test_client())
    page = c.get("/decisions?state=open", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Open question" in page and 'aria-current="true">Open</a>' in page
    assert 'Awaiting my vote <span class="count">1</span>' in page
    assert "No decision here." in c.get("/decisions?state=closed").get_data(as_text=True) or True
    assert c.get("/decisions?state=nonsense").status_code == 422


def test_gathered_sends_go_from_the_request_that_ends_the_window(
    app, member_api, opened, vote, connect, monkeypatch
):
    """With a window, the first vote's turnout is sent at once; the votes inside the window
    are gathered and sent once at its end; the first vote after it is sent at once again
    (its commit starts the send: no task sleeping until the window's end)."""
    import time

    _author, headers = member_api()
    voters = [member_api() for _ in range(4)]
    watcher_made, watcher_headers = member_api()
    decision = opened(headers, results="always")
    watcher = connect(watcher_headers)
    watcher.emit("watch_decision", {"decision_id": decision["id"]}, callback=True)
    watcher.get_received()
    from network.governance import live

    window = 4.0  # long enough that "before its end" holds on a loaded machine
    monkeypatch.setitem(app.config, "TALLY_WINDOW_MS", int(window * 1000))
    # The windows of earlier tests' decisions (whose ids this one may reuse) are not its own.
    monkeypatch.setattr(live, "_windows", {})
    agree = option_id(decision, "agree")

    def turnouts():
        return [
            e["args"][0]["turnout"]["voted"]
            for e in watcher.get_received()
            if e["name"] == "decision_turnout"
        ]

    def heard_within(seconds):
        deadline, heard = time.monotonic() + seconds, []
        while not heard and time.monotonic() < deadline:
            time.sleep(0.01)
            heard = turnouts()
        return heard

    assert vote(voters[0][1], decision["id"], choice=agree).status_code == 200
    assert heard_within(window - 1) == [1]  # before the window's end: its commit sent it
    vote(voters[1][1], decision["id"], choice=agree)
    vote(voters[2][1], decision["id"], choice=agree)
    assert heard_within(2 * window) == [3]  # once, at the window's end, with both votes
    time.sleep(window + 0.1)
    vote(voters[3][1], decision["id"], choice=agree)
    assert heard_within(window - 1) == [4]  # the window is over: before the next one ends
