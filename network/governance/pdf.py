"""The minutes as a PDF (WeasyPrint), made from their printable page.

Rendering the minutes of a large assembly takes WeasyPrint a second or two of CPU (500 rows
of attendance, 30 resolutions: ~30 pages). So:

- the stylesheets the page links under `/static/` are read from the disk; nothing else is
  fetched (no request to the server itself, nor anywhere else);
- under gevent the rendering runs in a thread of its own, one at a time: the event loop
  keeps serving requests and Socket.IO meanwhile (an assembly in session goes on while
  someone downloads the minutes);
- the PDF of a page is remembered by its content (a few, in this process): asking again
  for unchanged minutes — always the case once signed — answers at once;
- signed minutes never change: their PDF is made once, in the background right after the
  signing (in every language of the site: `views.make_signed_minutes_pdf`), and kept in the
  storage of uploaded files (`minutes/`, `network.core.storage`: shared by every server), so
  that every download, in any process, is immediate; one asking while it is being made
  waits for it rather than making it a second time.
"""

import hashlib
import mimetypes
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from network.core.storage import storage

_CACHE_SIZE = 8
_rendered: OrderedDict[str, bytes] = OrderedDict()
_making: dict[str, threading.Event] = {}  # PDFs being made: a second asker waits for them
_WAIT_SECONDS = 120
_lock = threading.Lock()
_pool: Any = None


def minutes_pdf(html: str, base_url: str, static_folder: str, kept_in: str | None = None) -> bytes:
    """The PDF of the minutes' page `html` (its `/static/` links served from the disk).

    `kept_in`: a folder of the storage where the PDF is kept by its content once made, and
    looked for before making it (signed minutes, which never change)."""
    key = hashlib.sha256(f"{base_url}\0{static_folder}\0{html}".encode()).hexdigest()
    with _lock:
        if key in _rendered:
            _rendered.move_to_end(key)
            return _rendered[key]
        making = _making.get(key)
        if making is None:
            making = _making[key] = threading.Event()
            mine = True
        else:
            mine = False
    if not mine:  # being made (at signing, or by another download): wait for it
        making.wait(timeout=_WAIT_SECONDS)
        with _lock:
            if key in _rendered:
                return _rendered[key]
        return minutes_pdf(html, base_url, static_folder, kept_in)  # it failed: make it
    try:
        pdf = _made_or_kept(key, html, base_url, static_folder, kept_in)
        with _lock:
            _rendered[key] = pdf
            while len(_rendered) > _CACHE_SIZE:
                _rendered.popitem(last=False)
        return pdf
    finally:
        with _lock:
            _making.pop(key, None)
        making.set()


def _made_or_kept(
    key: str, html: str, base_url: str, static_folder: str, kept_in: str | None
) -> bytes:
    kept = f"{kept_in}/{key}.pdf" if kept_in is not None else None
    if kept is not None:
        try:
            return storage().read(kept)
        except FileNotFoundError:
            pass
    import weasyprint  # noqa: F401 — here: loading its libraries runs `ldconfig`, which
    # gevent's subprocess can only watch from the loop's own thread

    pdf = _off_the_loop(render, html, base_url, static_folder)  # no lock taken in there
    if kept is not None:
        storage().put(kept, pdf, "application/pdf")  # whole or not at all, for any reader
    return pdf


def render(html: str, base_url: str, static_folder: str) -> bytes:
    from weasyprint import HTML

    fetcher = _static_fetcher(base_url, Path(static_folder))
    return HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf()


def _off_the_loop(function: Any, *args: Any) -> bytes:
    """Run in a real thread when gevent patched this process (one rendering at a time);
    directly otherwise."""
    global _pool
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return function(*args)
    if not monkey.is_module_patched("threading"):
        return function(*args)
    from gevent.threadpool import ThreadPool

    if _pool is None:
        _pool = ThreadPool(1)
    return _pool.apply(function, args)


def _static_fetcher(base_url: str, folder: Path) -> Any:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    base = urlsplit(base_url)
    root = folder.resolve()

    class StaticFetcher(URLFetcher):
        """Files under the site's `/static/`, read from the disk; every other URL refused."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            found = urlsplit(url)
            if (found.scheme, found.netloc) == (base.scheme, base.netloc) and (
                found.path.startswith("/static/")
            ):
                path = (root / unquote(found.path.removeprefix("/static/"))).resolve()
                if path.is_relative_to(root) and path.is_file():
                    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})
            raise ValueError(f"The minutes' PDF fetches only the site's static files: {url}")

    return StaticFetcher(allowed_protocols={"http", "https"})
