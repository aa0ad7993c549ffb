"""The service desk: the support team's catalogue of services and the members' requests."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Plugged in by `network.services`."""


__all__ = ["init_app"]
