"""Privacy: download my data, consents, the privacy page, members' exits and retention.

It walks the registry of `network.core.member_data`, which every module fills with what it
keeps about a member; it imports no other feature."""

import logging

from flask import Flask
from flask_babel import lazy_gettext as _l

from network.core import audit
from network.core.audit import AuditEvent
from network.core.consent import Consent
from network.core.member_data import (
    MemberData,
    Retention,
    register_member_data,
    register_member_reference,
    register_retention,
)
from network.core.registries import (
    Delivery,
    SettingSpec,
    register_notification_kind,
    register_setting,
)
from network.extensions import db
from network.privacy.models import DataExport, MemberExit

log = logging.getLogger(__name__)

register_setting(
    SettingSpec(
        "export_link_days",
        7,
        _l("Days a data export can be downloaded"),
        minimum=1,
        maximum=60,
    )
)
register_setting(
    SettingSpec(
        "export_inline_rows",
        5000,
        _l("Build data exports at once up to this many rows (larger ones in the background)"),
        minimum=0,
        maximum=1_000_000,
    )
)
register_setting(
    SettingSpec(
        "retention_audit_years",
        6,
        _l("Keep the security log (years)"),
        minimum=1,
        maximum=30,
    )
)


def _old_audit_events(cutoff) -> int:
    """The log's oldest entries, through the chain's purge (it keeps a checkpoint, so that
    `flask audit verify` still holds); a broken chain is kept whole, as evidence."""
    try:
        return audit.purge_before(db.session, cutoff)
    except audit.ChainBroken:
        log.warning("audit log chain broken: its old entries are kept (run flask audit verify)")
        return 0


def _register_member_data() -> None:
    register_member_data(
        MemberData(
            "consents",
            Consent,
            "member_id",
            _l("Your consents (e-convocation, e-mail digests, presence), dated."),
            exclude=("recorded_by_id",),
        )
    )
    register_member_reference(Consent, "recorded_by_id")
    register_member_data(
        MemberData(
            "data_exports",
            DataExport,
            "member_id",
            _l("The exports of your data you asked for."),
            exclude=("file_name",),
            eraser=lambda _member_id, _writings: 0,  # the exit removes them with their files
        )
    )
    register_member_reference(MemberExit, "member_id")
    register_member_reference(MemberExit, "run_by_id")
    register_member_reference(AuditEvent, "actor_id")
    register_member_reference(AuditEvent, "subject_id")
    register_retention(
        Retention(
            "audit_log",
            _l("The security log (sign-ins, permission denials, changes of roles and statuses)"),
            _l(
                "To detect and investigate misuse of accounts; it holds member numbers, "
                "never names."
            ),
            _l("The administrators."),
            "retention_audit_years",
            "years",
            _old_audit_events,
        )
    )


def init_app(app: Flask) -> None:
    """The privacy pages and API, the exit of members, the `flask privacy` commands."""
    from network.privacy import api  # noqa: F401  (routes on the API blueprint)
    from network.privacy.cli import privacy_cli
    from network.privacy.views import bp

    _register_member_data()
    register_notification_kind(
        "data_export_ready", _l("Your data export is ready"), Delivery.IMMEDIATELY
    )
    app.register_blueprint(bp)
    app.cli.add_command(privacy_cli)
    app.config.setdefault("PRIVACY_EXPORT_THREAD", True)
