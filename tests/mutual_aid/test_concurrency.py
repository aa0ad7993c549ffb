"""The ledger's invariants under concurrent confirmations, through two real server processes
sharing the test database (SQLite, or PostgreSQL with TERREAU_TEST_BACKEND=postgresql):
the floor holds, no minute is lost or counted twice, an exchange is recorded once."""

import os
import threading

import requests
from sqlalchemy import func, select

from network.extensions import db
from tests.servers import running_servers

HELPERS = 6


def _token(app, member) -> str:
    from network.members import operations
    from network.members.models import Member

    with app.test_request_context():
        _row, raw = operations.create_api_token(db.session.get(Member, member.id))
        db.session.commit()
    return raw


def _race(urls, calls):
    """Send `calls` [(token, path, json)] at the same instant, alternating the servers."""
    answers = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(calls))

    def attempt(index, token, path, body):
        session = requests.Session()
        session.headers.update({"Authorization": f"Bearer {token}", "Accept-Language": "en"})
        session.get(f"{urls[index % 2]}/api/v1/me", timeout=10)
        barrier.wait()
        response = session.post(f"{urls[index % 2]}{path}", json=body, timeout=30)
        with lock:
            answers.append(response)

    threads = [threading.Thread(target=attempt, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_concurrent_confirmations_keep_the_floor_and_the_sum(
    app, member_api, taken_up, confirm, tmp_path
):
    from network.mutual_aid import operations
    from network.mutual_aid.models import Balance, Exchange, LedgerEntry

    helped, helped_h = member_api(display_name="Helped")
    helpers = [member_api(display_name=f"Helper {n}") for n in range(HELPERS)]
    exchanges = []
    for _member, headers in helpers:
        _offer, exchange = taken_up(headers, helped_h)
        # the helped member confirms 3 hours each: 6 × 3 h would pass the 10 h floor
        assert confirm(helped_h, exchange["id"], "3").status_code == 200
        exchanges.append(exchange)
    # and one more exchange its two members confirm at the same instant
    pair_a, pair_a_h = member_api()
    pair_b, pair_b_h = member_api()
    _offer, both = taken_up(pair_a_h, pair_b_h)
    calls = [
        (_token(app, member), f"/api/v1/exchanges/{exchange['id']}/confirm", {"hours": "3"})
        for (member, _h), exchange in zip(helpers, exchanges, strict=True)
    ]
    calls += [
        (_token(app, m), f"/api/v1/exchanges/{both['id']}/confirm", {"hours": "2"})
        for m in (pair_a, pair_b)
    ]
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "TERREAU_DATA_DIR": str(tmp_path),
        "SECRET_KEY": "mutual-aid-race",
    }
    with running_servers(2, env) as urls:
        answers = _race(urls, calls)
    statuses = sorted(r.status_code for r in answers)
    assert all(s in (200, 409) for s in statuses), [r.text for r in answers]
    with app.app_context():
        recorded = db.session.scalars(
            select(Exchange).where(Exchange.state == "recorded", Exchange.helped_id == helped.id)
        ).all()
        assert len(recorded) == 3  # -9 h; a fourth would reach -12 h, below the floor
        assert db.session.get(Balance, helped.id).minutes == -9 * 60
        assert statuses.count(409) == HELPERS - 3
        pair = db.session.get(Exchange, both["id"])
        assert pair.state == "recorded" and pair.minutes == 120
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(LedgerEntry)
                .where(LedgerEntry.exchange_id == pair.id)
            )
            == 2
        )
        assert db.session.scalar(select(func.sum(LedgerEntry.minutes))) == 0
        assert db.session.scalar(select(func.sum(Balance.minutes))) == 0
        assert operations.check_ledger() == []


def test_the_same_endorsement_sent_at_once_is_recorded_once(
    app, member_api, make_skill, hold, taken_up, confirm, tmp_path
):
    from network.mutual_aid.models import Endorsement

    site = make_skill("Site web", "Website")
    helper, helper_h = member_api(display_name="Helper")
    helped, helped_h = member_api(display_name="Helped")
    hold(helper, site)
    _offer, exchange = taken_up(helper_h, helped_h)
    for headers in (helper_h, helped_h):
        assert confirm(headers, exchange["id"], "1").status_code == 200
    token = _token(app, helped)
    body = {"skills": [site], "comment": "Merci"}
    calls = [(token, f"/api/v1/members/{helper.id}/endorsements", body)] * 4
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "TERREAU_DATA_DIR": str(tmp_path),
        "SECRET_KEY": "mutual-aid-race",
    }
    with running_servers(2, env) as urls:
        answers = _race(urls, calls)
    statuses = sorted(r.status_code for r in answers)
    assert statuses.count(201) == 1 and statuses.count(409) == 3, [r.text for r in answers]
    assert all(
        r.headers["Content-Type"].startswith("application/problem+json")
        for r in answers
        if r.status_code == 409
    )
    with app.app_context():
        count = (
            select(func.count()).select_from(Endorsement).where(Endorsement.member_id == helper.id)
        )
        assert db.session.scalar(count) == 1
