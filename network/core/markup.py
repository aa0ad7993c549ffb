"""Markdown rendering, sanitised with an allow-list: raw HTML never reaches a page."""

import re
from html import unescape

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


#: One line of words and punctuation that Markdown leaves as it is (no `*_[]<>&#`, no line
#: break, nothing a block could start with): most chat messages. Its HTML is one paragraph.
_PLAIN = re.compile(r"[^\W\d_](?:[^\W_]|[ .,;:?!'’\"«»@%/°€$()-])*(?<! )")


def render_markdown(text: str | None) -> str:
    """Return safe HTML for `text`; links get rel="nofollow noopener noreferrer"."""
    if not text:
        return ""
    if _PLAIN.fullmatch(text):  # the same HTML as below, without converting (tests/core)
        return f"<p>{text}</p>"
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


_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"</(?:p|li|h[1-6]|blockquote|pre|tr|td|th)>|<br\s*/?>|<hr\s*/?>")


def html_text(html: str | None) -> str:
    """The plain text of HTML made by `render_markdown` (search documents, snippets): tags
    dropped, entities decoded, blanks collapsed. Only for sanitised HTML, where every "<"
    left starts a tag (nh3 escapes the others)."""
    if not html:
        return ""
    return " ".join(unescape(_TAG.sub("", _BREAK.sub(" ", html))).split())


def markdown_text(text: str | None) -> str:
    """The plain text of Markdown, as a reader sees it rendered (no `**`, `#`, link URLs)."""
    return html_text(render_markdown(text))


_BLOCK_END = re.compile(r"</(p|h[1-6]|li|tr|blockquote|pre|table|ul|ol)>|<br\s*/?>|<hr\s*/?>", re.I)
_LINK = re.compile(r'<a href="([^"]*)"[^>]*>(.*?)</a>', re.I | re.S)


def markdown_to_text(text: str | None) -> str:
    """Plain text of Markdown `text`, for e-mail: paragraphs and list items on their own
    lines, a link's address after its words, no markup left."""
    html = render_markdown(text)
    html = _LINK.sub(
        lambda m: m[2] if m[1] in (m[2], f"mailto:{m[2]}") else f"{m[2]} ({m[1]})", html
    )
    html = re.sub(r"<li>", "- ", html, flags=re.I)
    html = _BLOCK_END.sub("\n", html)
    plain = unescape(nh3.clean(html, tags=set()))
    lines = [" ".join(line.split()) for line in plain.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
