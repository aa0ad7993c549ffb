"""Text folding shared by filters and search: case and accents do not matter."""

import unicodedata


def fold(text: str | None) -> str:
    """Lower-case, accent-free, single-spaced `text`: "Électricienne " → "electricienne"."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.split())
