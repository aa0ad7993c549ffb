"""Solidarity money requests: treasury advances and loans, reviewed by a committee."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Plugged in by `network.services`."""


__all__ = ["init_app"]
