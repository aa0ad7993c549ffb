"""The staff's reading of the audit log (the log itself lives in `network.core.audit`): a page
with filters and the chain head, `GET /api/v1/admin/audit`, and `flask audit …` commands."""

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from network.audit import api  # noqa: F401  (its /api/v1 routes)
    from network.audit.cli import audit_cli
    from network.audit.views import bp
    from network.core.permissions import is_staff
    from network.core.registries import NavItem, register_nav_item

    app.register_blueprint(bp)
    app.cli.add_command(audit_cli)
    register_nav_item(NavItem("audit.index", _l("Audit log"), 96, ("audit.",), is_staff))
