"""Mutualised services: the support team's service desk (catalogue, requests, FAQ) and the
solidarity money requests (treasury advances and loans) reviewed by a committee."""

from flask import Flask


def init_app(app: Flask) -> None:
    from network.services import member_data

    member_data.register()
    from network.services import desk, money

    desk.init_app(app)
    money.init_app(app)


__all__ = ["init_app"]
