"""The staff's reading of the audit log (the log itself lives in `network.core.audit`): a page
with filters and the chain head, `GET /api/v1/admin/audit`, and `flask audit …` commands."""

from flask import Flask


def init_app(app: Flask) -> None:
    from network.audit.cli import audit_cli

    app.cli.add_command(audit_cli)
