"""`@Name` mentions in Markdown text: which names may be meant, and the text with the found
ones turned into links. The caller decides who the names are (any member, a channel's)."""

import re
from collections.abc import Callable
from typing import TypeVar

from network.core.text import fold

T = TypeVar("T")

#: "@" and up to four words: "@Camille", "@Anne-Sophie Martin".
MENTION = re.compile(r"(?<![\w@/])@([^\W\d_][\w'’-]*(?:[ \t][^\W\d_][\w'’-]*){0,3})")


def candidate_names(text: str) -> dict[str, str]:
    """folded name → the name as written, for every word run that follows an "@"."""
    candidates: dict[str, str] = {}
    for match in MENTION.finditer(text):
        words = match.group(1).split()
        for size in range(1, len(words) + 1):
            phrase = " ".join(words[:size])
            candidates[fold(phrase)] = phrase
    return candidates


def link_mentions(text: str, urls: dict[str, str]) -> str:
    """The Markdown with each `@Name` of `urls` (name as written → link), longest first."""
    if not urls:
        return text
    names = sorted(urls, key=len, reverse=True)

    def replace(match: re.Match) -> str:
        for name in names:
            if match.group(1).startswith(name):
                return f"[@{name}]({urls[name]}){match.group(1)[len(name) :]}"
        return match.group(0)

    return MENTION.sub(replace, text)


def resolve(text: str, lookup: Callable[[list[str]], dict[str, T]]) -> dict[str, T]:
    """name as written → what `lookup(folded names)` found for it (keyed by folded name)."""
    candidates = candidate_names(text)
    if not candidates:
        return {}
    found = lookup(list(candidates))
    return {candidates[key]: value for key, value in found.items()}
