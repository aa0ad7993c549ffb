"""Set French translations from a JSON object {msgid: msgstr} given on standard input.

For a few new strings at a time: `make update-messages`, then
`.venv/bin/python scripts/i18n_set_fr.py < new.json`.
"""

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PATH = Path(__file__).resolve().parent.parent / "network/translations/fr/LC_MESSAGES/messages.po"


def main() -> None:
    translations = json.load(sys.stdin)
    with PATH.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    for message in catalog:
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if key in translations:
            value = translations[key]
            message.string = tuple(value) if isinstance(value, list) else value
            message.flags.discard("fuzzy")
    with PATH.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True)


if __name__ == "__main__":
    main()
