"""PostgreSQL stopped (as a crash: immediate) and started again under a running server: for
the seconds it is down, pages and the API answer 503 with a message and Retry-After, never a
stack trace; then the same server process answers again without a restart."""

import time

import requests

from tests.faults.conftest import api_headers, make_env, signed_in

DETAIL = (
    "The database is briefly unavailable: please try again in a few seconds. "
    "Nothing you saved before was lost."
)


def eventually(check, timeout=30):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def assert_unavailable(response, html=False):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "Traceback" not in response.text
    if html:
        assert response.headers["Content-Type"].startswith("text/html")
        assert DETAIL in response.text
    else:
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["detail"] == DETAIL


def test_postgresql_restarted_under_a_running_server(tmp_path, postgres_cluster, servers):
    env, seed = make_env(tmp_path, database_url=postgres_cluster.new_database(), members=1)
    process, url = servers.start(env)
    (email,) = seed["emails"]
    headers = api_headers(url, email)
    browser = signed_in(url, email)
    assert browser.get(f"{url}/feed", timeout=10).status_code == 200
    postgres_cluster.stop()
    try:
        assert_unavailable(requests.get(f"{url}/api/v1/me", headers=headers, timeout=10))
        write = requests.post(
            f"{url}/api/v1/posts", json={"body": "Pendant la panne"}, headers=headers, timeout=10
        )
        assert_unavailable(write)
        assert_unavailable(browser.get(f"{url}/feed", timeout=10), html=True)
        assert_unavailable(browser.get(f"{url}/login", timeout=10), html=True)
    finally:
        postgres_cluster.start()
    assert eventually(
        lambda: requests.get(f"{url}/api/v1/me", headers=headers, timeout=10).status_code == 200
    )
    written = requests.post(
        f"{url}/api/v1/posts", json={"body": "Après la panne"}, headers=headers, timeout=10
    )
    assert written.status_code == 201
    assert browser.get(f"{url}/feed", timeout=10).status_code == 200  # the same session
    assert process.poll() is None
