"""`/healthz` (the process answers) and `/readyz` (it can serve: database, Redis, search), for
load balancers: open to anyone, never rate-limited, 200 or 503 with JSON."""

import os
import subprocess
import sys

from config import TestingConfig
from network import create_app
from tests.servers import ROOT, require_redis

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def test_liveness_answers_anyone(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readiness_checks_the_database_and_the_search_index(app, client, search_index):
    app.config["REDIS_URL"] = ""
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok", "search": "ok"}}
    assert response.headers["Cache-Control"] == "no-store"


def test_an_unreadable_search_index_makes_the_server_unready(app, client):
    app.config["REDIS_URL"] = ""
    response = client.get("/readyz")  # no index built in this test
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["checks"] == {"database": "ok", "search": "no readable search index"}


def test_redis_is_checked_when_configured(app, client, search_index, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"] == "failed: ConnectionError"
    require_redis(REDIS_URL)
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    response = client.get("/readyz")
    assert response.status_code == 200 and response.get_json()["checks"]["redis"] == "ok"


def test_without_a_database_the_process_is_alive_but_not_ready(tmp_path):
    broken = create_app(
        TestingConfig,
        DATA_DIR=str(tmp_path),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'missing' / 'folder' / 'db.sqlite3'}",
        REDIS_URL="",
    )
    client = broken.test_client()
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] == "failed: OperationalError"
    assert "sqlite" not in response.get_data(as_text=True)  # no connection string


# In a process of its own: an application-wide limit would stay on the shared limiter.
LIMITED = """
import sys
from config import TestingConfig
from network import create_app

app = create_app(TestingConfig, DATA_DIR=sys.argv[1], RATELIMIT_APPLICATION="1 per minute",
                 SQLALCHEMY_DATABASE_URI="sqlite:///" + sys.argv[1] + "/db.sqlite3")
client = app.test_client()
codes = [client.get("/login").status_code for _ in range(2)]
codes += [client.get(path).status_code for _ in range(3) for path in ("/healthz", "/readyz")]
print(codes)
"""


def test_health_endpoints_are_never_rate_limited(tmp_path):
    env = {**os.environ, "REDIS_URL": ""}
    result = subprocess.run(
        [sys.executable, "-c", LIMITED, str(tmp_path)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    codes = result.stdout.strip().splitlines()[-1]
    # The second page is refused; the probes all answer (503: an empty database, no index).
    assert codes.endswith(str([429] + [200, 503] * 3)[1:])
