"""Markdown rendering, sanitised with an allow-list: raw HTML never reaches a page."""

import markdown as md
import nh3

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


#: Idle converters, reused: making one costs more than converting a chat message. A
#: converter is used by one thread or greenlet at a time (taken from here, then put back).
_converters: list[md.Markdown] = []


def render_markdown(text: str | None) -> str:
    """Return safe HTML for `text`; links get rel="nofollow noopener noreferrer"."""
    if not text:
        return ""
    try:
        converter = _converters.pop()
    except IndexError:
        converter = md.Markdown(extensions=["extra", "sane_lists"], output_format="html")
    try:
        html = converter.reset().convert(text)
    finally:
        _converters.append(converter)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
    )
