"""GET /search/suggest: the header's suggestions as you type (an HTML fragment)."""

import shutil

import pytest

EN = {"Accept-Language": "en"}


def test_suggestions_list_the_best_hits_escaped(client, login, make_member, search_index):
    lamp = make_member(display_name="Lina <b>Lampe</b>", trade="Éclairagiste")
    login(make_member())
    response = client.get("/search/suggest?q=lamp", headers=EN)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'data-url="/members/{lamp.id}"' in html
    assert 'role="option"' in html and "Lina &lt;b&gt;Lampe&lt;/b&gt;" in html
    assert "<b>" not in html
    assert 'data-url="/search?q=lamp"' in html  # and every result


def test_short_empty_or_invalid_input_suggests_nothing(client, login, make_member, search_index):
    make_member(display_name="Lina Lampe")
    login(make_member())
    for q in ["", "l", " ", "x" * 500]:
        response = client.get("/search/suggest", query_string={"q": q}, headers=EN)
        assert response.status_code == 200
        assert 'role="option"' not in response.get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_the_login(client, search_index):
    response = client.get("/search/suggest?q=lamp")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.whoosh
def test_an_unavailable_index_is_said(app, client, login, make_member, search_index, rebuilds):
    login(make_member())
    search_index.forget()
    shutil.rmtree(search_index.folder)
    response = client.get("/search/suggest?q=lamp", headers=EN)
    assert response.status_code == 503
    assert "being rebuilt" in response.get_data(as_text=True)
    assert rebuilds


def test_the_header_field_is_wired_for_suggestions(client, login, make_member):
    login(make_member())
    page = client.get("/members", headers=EN).get_data(as_text=True)
    assert 'data-suggest="/search/suggest"' in page
    assert 'id="header-suggestions"' in page and 'role="listbox"' in page
    assert "js/search.js" in page
