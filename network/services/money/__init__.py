"""Solidarity money requests: treasury advances and loans, reviewed by a committee."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from network.core.registries import (
    Delivery,
    NavItem,
    SettingSpec,
    register_nav_item,
    register_notification_kind,
    register_setting,
)

for _spec in (
    SettingSpec(
        "money_associates_threshold",
        5000,
        _l("Money requests: above this amount in euros, the associates also decide (0: never)"),
        minimum=0,
        maximum=10_000_000,
    ),
    SettingSpec(
        "money_max_amount",
        50_000,
        _l("Money requests: the largest amount one may ask, in euros"),
        minimum=1,
        maximum=10_000_000,
    ),
    SettingSpec(
        "money_max_months",
        36,
        _l("Money requests: the longest repayment schedule, in months"),
        minimum=1,
        maximum=120,
    ),
    SettingSpec(
        "money_associates_days",
        14,
        _l("Money requests: days the associates have to decide"),
        minimum=1,
        maximum=90,
    ),
):
    register_setting(_spec)

for _name, _label, _default in (
    (
        "money_request_submitted",
        _l("A money request awaits the committee (committee members)"),
        Delivery.IMMEDIATELY,
    ),
    ("money_request_decided", _l("A decision on a money request"), Delivery.IMMEDIATELY),
    ("money_repayment_recorded", _l("A repayment of your loan or advance"), Delivery.DAILY),
):
    register_notification_kind(_name, _label, _default)


def init_app(app: Flask) -> None:
    """Plugged in by `network.services`: pages, API routes, navigation."""
    from network.services.money import api  # noqa: F401  (routes on the API blueprint)
    from network.services.money.views import bp

    app.register_blueprint(bp)
    register_nav_item(NavItem("money.index", _l("Advances & loans"), 55, ("money.",)))


__all__ = ["init_app"]
