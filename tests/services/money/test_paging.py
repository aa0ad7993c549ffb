"""The lists of money requests are paged, newest first: an older request is always one
"older" link (or the API's `next` cursor) away, on the committee's review page, the staff
overview, the member's own list and the API."""

import pytest

from tests.core.test_html_pages import Page


@pytest.fixture
def small_pages(monkeypatch):
    from network.services.money import queries

    monkeypatch.setattr(queries, "PAGE_SIZE", 2)


def _older(client, path, anchor=""):
    """The pages reached from `path` by following its "older" link (to `anchor`)."""
    pages = []
    while path:
        response = client.get(path)
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        pages.append(text)
        links = [
            attrs["href"]
            for tag, attrs, _ in Page(text).elements
            if tag == "a" and attrs.get("rel") == "next"
        ]
        path = next((href for href in links if href.endswith(anchor)), None)
    return pages


def _ids_on(text, ids):
    return [i for i in ids if f'href="/money/{i}"' in text]


def test_the_api_pages_every_request_with_a_next_cursor(client, member_api, ask, committee):
    _member, headers = member_api()
    made = [ask(headers).get_json()["id"] for _ in range(5)]
    reviewer_headers = committee[0][1]
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": 2} | ({"before": cursor} if cursor else {})
        answer = client.get("/api/v1/money-requests", query_string=query, headers=reviewer_headers)
        assert answer.status_code == 200
        body = answer.get_json()
        assert len(body["items"]) <= 2
        seen += [r["id"] for r in body["items"]]
        pages += 1
        cursor = body["next"]
        if not cursor:
            break
    assert seen == sorted(made, reverse=True) and pages == 3
    own = client.get("/api/v1/money-requests", query_string={"limit": 4}, headers=headers)
    assert [r["id"] for r in own.get_json()["items"]] == sorted(made, reverse=True)[:4]
    assert own.get_json()["next"]
    bad = client.get("/api/v1/money-requests?before=nonsense", headers=headers)
    assert bad.status_code == 422
    assert client.get("/api/v1/money-requests?limit=0", headers=headers).status_code == 422
    listed = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/money-requests"]
    assert {p["name"] for p in listed["get"]["parameters"]} >= {"before", "limit"}
    assert "next" in str(listed["get"]["responses"]["200"])


def test_an_old_request_under_review_stays_reachable_on_the_review_page(
    client, member_api, ask, committee, login, small_pages
):
    _member, headers = member_api()
    oldest = ask(headers).get_json()["id"]
    newer = [ask(headers).get_json()["id"] for _ in range(4)]
    for request_id in newer[:2]:  # decided: the other list
        client.post(
            f"/api/v1/money-requests/{request_id}/decision",
            json={"approved": False, "reason": "Pas cette fois"},
            headers=committee[0][1],
        )
    login(committee[1][0])
    first = client.get("/money/review").get_data(as_text=True)
    assert _ids_on(first, [oldest]) == []
    pages = _older(client, "/money/review", "#waiting-title")
    assert len(pages) == 2 and _ids_on(pages[-1], [oldest]) == [oldest]
    decided = _older(client, "/money/review", "#decided-title")
    assert len(decided) == 1 and _ids_on(decided[0], newer[:2]) == newer[:2]
    assert client.get("/money/review?waiting_before=nonsense").status_code == 422


def test_the_overview_and_my_list_page_older_requests(
    client, member_api, ask, committee, login, small_pages
):
    member, headers = member_api()
    made = [ask(headers, amount="300").get_json()["id"] for _ in range(3)]
    for request_id in made:
        client.post(
            f"/api/v1/money-requests/{request_id}/decision",
            json={"approved": True},
            headers=committee[0][1],
        )
    staff, _staff_headers = member_api(role="staff")
    login(staff)
    pages = _older(client, "/money/overview", "#repaid-title")
    assert len(pages) == 2
    assert _ids_on(pages[0], made) == made[1:] and _ids_on(pages[1], made) == made[:1]
    other = client.application.test_client()
    login(member, c=other)
    mine = _older(other, "/money/")
    assert [_ids_on(p, made) for p in mine] == [made[1:], made[:1]]
