"""Fault tests: real server processes (`python -m network`), killed or deprived of their
Redis or PostgreSQL, and clients that check what survived. Each service is a throw-away
instance of our own on a free port (never the machine's shared ones). They run both database
backends themselves, so the PostgreSQL pass of the suite skips them."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.servers import ROOT, ThrowAwayPostgres, ThrowAwayRedis, start_server

PASSWORD = "correct horse battery"
EN = {"Accept-Language": "en"}

SECOND_PASS = os.environ.get("TERREAU_TEST_BACKEND") == "postgresql"


def pytest_collection_modifyitems(items):
    """Every test here is marked `faults` (`-m "not faults"` leaves them out locally), and
    skipped in the suite's PostgreSQL pass: they run both backends in the SQLite one."""
    for item in items:
        if "tests/faults/" in str(item.path):
            item.add_marker(pytest.mark.faults)
            if SECOND_PASS:
                item.add_marker(pytest.mark.skip(reason="run on both backends in the first pass"))


@pytest.fixture(autouse=True)
def db():
    """Not the suite's in-process app and database: these tests have their own servers."""
    yield None


@pytest.fixture(scope="session")
def postgres_cluster():
    cluster = ThrowAwayPostgres()
    cluster.start()
    yield cluster
    cluster.remove()


@pytest.fixture
def redis_server():
    server = ThrowAwayRedis()
    server.start()
    yield server
    server.stop()


def make_env(tmp_path, *, database_url=None, redis_url=None, members=2, **extra):
    """The environment of the servers of one test, its database migrated and seeded;
    returns (env, seed): seed = {"emails": [...], "space_id": ...}."""
    env = {
        **os.environ,
        "TERREAU_DATA_DIR": str(tmp_path),
        "SECRET_KEY": "fault-tests",
        "TERREAU_ASYNC_MODE": "gevent",
        **extra,
    }
    for name, value in (("DATABASE_URL", database_url), ("REDIS_URL", redis_url)):
        if value:
            env[name] = value
        else:
            env.pop(name, None)
    seeded = subprocess.run(
        [sys.executable, "-m", "tests.faults.seed", str(members)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return env, json.loads(seeded.stdout.splitlines()[-1])


@pytest.fixture
def servers():
    """start(env) → (process, url); kill(process) as a crash would (its index writer too);
    each is stopped at the end."""
    started = []

    class Servers:
        @staticmethod
        def start(env, port=None):
            log = Path(env["TERREAU_DATA_DIR"]) / "server.log"  # kept in the test's tmp_path
            process, url = start_server(env, port, log)
            started.append(process)
            return process, url

        @staticmethod
        def kill(process):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    yield Servers
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)


def api_headers(url, email):
    response = requests.post(
        f"{url}/api/v1/auth/token", json={"email": email, "password": PASSWORD}, timeout=10
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}", **EN}


def signed_in(url, email):
    """A requests session signed in through the form, like a browser."""
    import re

    session = requests.Session()
    session.headers.update(EN)
    page = session.get(f"{url}/login", timeout=10).text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    response = session.post(
        f"{url}/login",
        data={"csrf_token": token, "email": email, "password": PASSWORD},
        timeout=10,
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text
    return session
