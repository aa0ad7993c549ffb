"""Outgoing e-mail: SMTP when configured, otherwise the outbox folder and the log.

Mail is composed during the request (in the recipient's language) and sent after commit.
"""

import logging
import smtplib
import threading
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from network.core.events import after_commit
from network.core.models import AnySession, utcnow

log = logging.getLogger(__name__)


_QUEUE = "terreau_mail_queue"


def queue_mail(session: AnySession, to: str, subject: str, body: str) -> None:
    """Send a plain-text e-mail once `session` commits (all of a transaction's mail goes
    in one background thread, in order)."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="terreau.local")
    message.set_content(body)
    queued = session.info.get(_QUEUE)
    if queued is None:
        queued = session.info[_QUEUE] = []
        config = dict(current_app.config)
        send = _send_in_background if config["MAIL_ASYNC"] else _deliver_all
        after_commit(session, session.info.pop, _QUEUE, None)  # the next transaction starts anew
        after_commit(session, send, queued, config)
    queued.append(message)


@event.listens_for(Session, "after_soft_rollback")
def _drop_queue(session: AnySession, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_QUEUE, None)


def _send_in_background(messages: list[EmailMessage], config: dict) -> None:
    """The request answers at once: an SMTP round trip neither slows nor reveals anything."""
    # Not a daemon: a command (digests, demo) waits for its mail before it exits.
    threading.Thread(target=_deliver_all, args=(messages, config), daemon=False).start()


def _deliver_all(messages: list[EmailMessage], config: dict) -> None:
    for message in messages:
        _deliver_logged(message, config)


def _deliver_logged(message: EmailMessage, config: dict) -> None:
    try:
        deliver(message, config)
    except Exception:  # a background thread has no one else to tell
        log.exception("mail to %s could not be sent", message["To"])


def deliver(message: EmailMessage, config: dict) -> None:
    if config.get("MAIL_SERVER"):
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=15) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
        return
    outbox = Path(config["DATA_DIR"]) / "outbox"
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    path = outbox / f"{stamp}-{message['Message-ID'].strip('<>').split('@')[0]}.eml"
    path.write_bytes(bytes(message))
    log.info("mail to %s (%s) written to %s", message["To"], message["Subject"], path)
