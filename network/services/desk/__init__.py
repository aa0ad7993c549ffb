"""The service desk: the support team's catalogue of services and the members' requests
(with their private thread, internal notes, working-day response times and satisfaction),
the staff's queue and dashboard, and the FAQ published from resolved requests."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from network.core.registries import NavItem, SettingSpec, register_nav_item, register_setting
from network.services.desk.models import FaqEntry, RequestState, Service, ServiceRequest

register_setting(
    SettingSpec(
        "services_reopen_days",
        14,
        _l("Days during which a member may reopen a resolved service request"),
        minimum=0,
        maximum=365,
    )
)
register_setting(
    SettingSpec(
        "services_autoclose_days",
        7,
        _l("Days after which a resolved service request is closed (0: never)"),
        minimum=0,
        maximum=365,
    )
)
register_setting(
    SettingSpec(
        "services_max_file_kb",
        5120,
        _l("Largest file joined to a service request, in kB"),
        minimum=100,
        maximum=8000,
    )
)


def init_app(app: Flask) -> None:
    """Plugged in by `network.services`: pages, API, feed and search kinds, notifications,
    the cron."""
    from network.core.permissions import is_staff
    from network.core.registries import register_service_request_opener
    from network.services.desk import api, feedable, searchable  # noqa: F401  (contributions)
    from network.services.desk.cli import services_cli
    from network.services.desk.operations import open_for_team
    from network.services.desk.views import bp

    app.register_blueprint(bp)
    app.cli.add_command(services_cli)
    register_service_request_opener(open_for_team)  # co-contracts declared to accounting
    register_nav_item(NavItem("services_desk.index", _l("Services"), 45, ("services_desk.",)))
    register_nav_item(
        NavItem("services_desk.queue", _l("Service desk"), 88, ("services_desk.queue",), is_staff)
    )


__all__ = ["FaqEntry", "RequestState", "Service", "ServiceRequest", "init_app"]
