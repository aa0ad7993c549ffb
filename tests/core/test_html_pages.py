"""The HTML of the main pages, parsed: machine-readable times HTML accepts, unique ids, no form
inside a paragraph, and named search landmarks (the browser tests run axe-core and vnu)."""

import re
from html.parser import HTMLParser

import pytest

# HTML's "valid date string" or "valid global date and time string" (3 fractional digits at most)
HTML_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$"
)


class Page(HTMLParser):
    """The elements of a page: (tag, attributes, tags open around it)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict, tuple[str, ...]]] = []
        self._open: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs), tuple(self._open)))
        if tag not in {"input", "img", "meta", "link", "br", "hr", "source", "wbr"}:
            self._open.append(tag)

    def handle_endtag(self, tag):
        if tag in self._open:
            del self._open[len(self._open) - 1 - self._open[::-1].index(tag) :]

    def attribute(self, name: str) -> list[str]:
        return [attrs[name] for _, attrs, _ in self.elements if attrs.get(name) is not None]


@pytest.fixture
def demo_client(app, client, search_index):
    """The client signed in as a demo member of the seeded demo cooperative."""
    from network.demo import DEMO_PASSWORD, seed_demo
    from network.extensions import db
    from tests.conftest import form_post

    with app.test_request_context():
        seed_demo()
        db.session.commit()
    response = form_post(
        client, "/login", {"email": "olivier.moreau@exemple.fr", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    return client


def _page(client, path: str) -> Page:
    response = client.get(path)
    assert response.status_code == 200, path
    return Page(response.get_data(as_text=True))


def _first_channel(app) -> int:
    from sqlalchemy import select

    from network.chat.models import Channel
    from network.extensions import db

    with app.app_context():
        return db.session.scalars(select(Channel.id).order_by(Channel.id)).first()


def test_time_elements_carry_times_html_accepts(app, demo_client):
    pages = ["/feed", "/notifications", f"/chat/{_first_channel(app)}", "/"]
    times = [t for path in pages for t in _page(demo_client, path).attribute("datetime")]
    assert times
    assert [t for t in times if not HTML_TIME.match(t)] == []


def test_the_pinned_notice_keeps_ids_unique_on_the_feed(demo_client):
    page = _page(demo_client, "/feed")
    ids = page.attribute("id")
    assert any(i.startswith("pinned-post-") for i in ids)  # the demo pins a notice
    assert sorted(i for i in ids if ids.count(i) > 1) == []


def test_no_form_sits_inside_a_paragraph_on_the_notifications(demo_client):
    page = _page(demo_client, "/notifications")
    forms = [around for tag, _, around in page.elements if tag == "form"]
    assert forms
    assert [around for around in forms if "p" in around] == []


@pytest.mark.parametrize(
    "path", ["/search?q=atelier", "/collaborators?q=graphisme", "/chat/{channel}"]
)
def test_search_landmarks_have_distinct_names(app, demo_client, path):
    page = _page(demo_client, path.format(channel=_first_channel(app)))
    landmarks = [attrs for _, attrs, _ in page.elements if attrs.get("role") == "search"]
    names = [attrs.get("aria-label") for attrs in landmarks]
    assert len(names) == 2
    assert all(names) and len(set(names)) == 2
