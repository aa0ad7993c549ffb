"""Every user-facing string in the code and templates is translated in French and English."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
METHODS = [
    ("network/**.py", "python"),
    ("templates/**.html", "jinja2"),
    ("templates/**.txt", "jinja2"),
]
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    "_l": None,
}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _catalog(locale: str):
    with (ROOT / f"network/translations/{locale}/LC_MESSAGES/messages.po").open("rb") as f:
        return read_po(f, locale=locale)


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_catalogue_is_complete(locale):
    catalog = _catalog(locale)
    missing = []
    for msgid in sorted(_source_messages()):
        entry = catalog.get(msgid)
        text = entry.string if entry else None
        if isinstance(text, tuple):
            text = text[0]
        if not text or (entry and entry.fuzzy):
            missing.append(msgid)
    assert missing == [], f"{len(missing)} untranslated in {locale}: {missing[:10]}"


def test_french_translations_keep_their_placeholders():
    for entry in _catalog("fr"):
        if entry.id and entry.string and isinstance(entry.id, str):
            assert set(PLACEHOLDER.findall(entry.id)) == set(PLACEHOLDER.findall(entry.string)), (
                entry.id
            )
