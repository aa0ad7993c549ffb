"""A real server process (`python -m network`, with its index writer process): a damaged
index does not take it down, and a change acknowledged just before a crash is searchable
after the restart."""

import os
import signal
import subprocess
import sys

import pytest
import requests

from tests.search.conftest import eventually
from tests.servers import ROOT, prepare_database, start_server

PASSWORD = "correct horse battery"
EN = {"Accept-Language": "en"}


@pytest.fixture
def env(tmp_path):
    env = {
        **os.environ,
        "TERREAU_DATA_DIR": str(tmp_path),
        "SECRET_KEY": "search-server",
        "TERREAU_ASYNC_MODE": "gevent",
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    prepare_database(env)
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "network:create_app", "members", "create"]
        + ["alice@example.org", "--name", "Alice Martin", "--status", "employee_entrepreneur"]
        + ["--password-stdin"],
        env=env,
        cwd=ROOT,
        input=PASSWORD,
        text=True,
        check=True,
        capture_output=True,
    )
    return env


@pytest.fixture
def server(env):
    """Start servers on `env` (again after a crash); each is stopped at the end."""
    started = []

    def start(port=None):
        process, url = start_server(env, port)
        started.append(process)
        token = requests.post(
            f"{url}/api/v1/auth/token",
            json={"email": "alice@example.org", "password": PASSWORD},
            timeout=10,
        ).json()["token"]
        return process, url, {"Authorization": f"Bearer {token}", **EN}

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=15)


def search(url, headers, q):
    return requests.get(f"{url}/api/v1/search", params={"q": q}, headers=headers, timeout=10)


def found_ids(url, headers, q):
    response = search(url, headers, q)
    if response.status_code != 200:
        return set()
    return {(r["kind"], r["id"]) for r in response.json()["results"]}


def post_message(url, headers, body):
    channel = requests.post(
        f"{url}/api/v1/channels", json={"name": "Atelier"}, headers=headers, timeout=10
    )
    assert channel.status_code == 201, channel.text
    message = requests.post(
        f"{url}/api/v1/channels/{channel.json()['id']}/messages",
        json={"body": body, "client_id": "c1"},
        headers=headers,
        timeout=10,
    )
    assert message.status_code == 201, message.text
    return message.json()["id"]


def test_a_segment_truncated_under_the_running_server(tmp_path, server):
    process, url, headers = server()
    assert eventually(lambda: found_ids(url, headers, "alice"), timeout=15)
    for path in (tmp_path / "search-index").glob("*.seg"):
        with open(path, "r+b") as file:  # in place: the server's open files see the cut
            file.truncate(path.stat().st_size // 3)
    response = search(url, headers, "alice")
    assert process.poll() is None, "the server died"
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "being rebuilt" in response.json()["detail"]
    assert requests.get(f"{url}/api/v1/me", headers=headers, timeout=10).status_code == 200
    assert eventually(lambda: found_ids(url, headers, "alice"), timeout=30)  # rebuilt
    assert process.poll() is None


def test_a_message_acknowledged_before_a_crash_is_searchable_after_the_restart(server):
    process, url, headers = server()
    message_id = post_message(url, headers, "Rendez-vous au hangar des tisserandes")
    os.killpg(process.pid, signal.SIGKILL)  # the server and its index writer, as a crash
    process.wait(timeout=10)
    _process, url, headers = server()
    assert eventually(lambda: found_ids(url, headers, "tisserandes"), timeout=15) == {
        ("message", message_id)
    }


def test_the_index_deleted_under_the_running_server(tmp_path, server):
    """The whole index folder removed while the server and its index writer run: writes still
    succeed, search says it is being rebuilt, and the rebuilt index holds what was written
    before and during the damage."""
    import shutil

    process, url, headers = server()
    before = post_message(url, headers, "Avant la perte de l'index: tisserandes")
    assert eventually(lambda: found_ids(url, headers, "tisserandes"), timeout=15)
    shutil.rmtree(tmp_path / "search-index")
    channel = requests.post(
        f"{url}/api/v1/channels", json={"name": "Pendant"}, headers=headers, timeout=10
    )
    assert channel.status_code == 201  # writes never wait for the index
    during = requests.post(
        f"{url}/api/v1/channels/{channel.json()['id']}/messages",
        json={"body": "Pendant la perte de l'index: tisserandes", "client_id": "c2"},
        headers=headers,
        timeout=10,
    )
    assert during.status_code == 201
    first = search(url, headers, "tisserandes")
    if first.status_code != 200:  # unless the rebuild was already done
        assert first.status_code == 503 and "being rebuilt" in first.json()["detail"]
    expected = {("message", before), ("message", during.json()["id"])}
    assert eventually(lambda: found_ids(url, headers, "tisserandes") == expected, timeout=30)
    assert process.poll() is None
