"""The production deployment of docs/deploy.md, end to end: two gunicorn servers (the example
settings, deploy/gunicorn.conf.py), each with its own empty data folder, behind Debian's nginx
serving the example site (deploy/nginx/terreau.conf, its host name, ports and paths
replaced), on PostgreSQL and Redis. Members whose connections nginx sends to different
servers chat live, find what the other wrote, and see each other's avatars."""

import io
import os
import re
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import socketio
from PIL import Image
from requests.adapters import HTTPAdapter

from tests.servers import (
    ROOT,
    free_port,
    require_nginx,
    require_redis,
    start_gunicorn,
    stop,
)

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PASSWORD = "correct horse battery"
EXAMPLE = ROOT / "deploy" / "nginx" / "terreau.conf"
pytestmark = [pytest.mark.redis, pytest.mark.postgres]


# --- the deployment -----------------------------------------------------------------------


def nginx_site(ports: tuple[int, int], http: int, https: int, tmp: Path) -> str:
    """The example site, served from `tmp` on loopback ports (each value replaced is checked:
    an edited example fails here rather than drifting from what is tested)."""
    site = EXAMPLE.read_text()
    replacements = {
        "server 127.0.0.1:8001 ": f"server 127.0.0.1:{ports[0]} ",
        "server 127.0.0.1:8002 ": f"server 127.0.0.1:{ports[1]} ",
        "    listen [::]:80;\n": "",
        "    listen [::]:443 ssl http2;\n": "",
        "listen 80;": f"listen 127.0.0.1:{http};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https} ssl http2;",
        "/etc/letsencrypt/live/terreau.example.org/fullchain.pem": str(tmp / "cert.pem"),
        "/etc/letsencrypt/live/terreau.example.org/privkey.pem": str(tmp / "key.pem"),
        "/var/log/nginx/": f"{tmp}/",
        "/var/www/letsencrypt": str(tmp),
        "/srv/terreau/app/static/": f"{ROOT}/static/",
        "terreau.example.org": "127.0.0.1",
    }
    for old, new in replacements.items():
        assert old in site, f"{old!r} is no longer in {EXAMPLE.name}: update this test"
        site = site.replace(old, new)
    return site


def nginx_main(tmp: Path) -> str:
    """What Debian's /etc/nginx/nginx.conf provides around a site, in `tmp`."""
    temp = " ".join(
        f"{name}_temp_path {tmp / name};" for name in ("client_body", "proxy", "fastcgi", "uwsgi")
    )
    return f"""
{"user root;" if os.geteuid() == 0 else ""}
daemon off;
worker_processes 1;
pid {tmp / "nginx.pid"};
error_log {tmp / "nginx.error.log"} warn;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    {temp} scgi_temp_path {tmp / "scgi"};
    include {tmp / "terreau.conf"};
}}
"""


def make_certificate(tmp: Path) -> None:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem")]
        + ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )


def start_nginx(nginx: str, tmp: Path, https: int) -> subprocess.Popen:
    (tmp / "nginx.conf").write_text(nginx_main(tmp))
    command = [nginx, "-p", str(tmp), "-e", str(tmp / "nginx.error.log"), "-c"]
    command.append(str(tmp / "nginx.conf"))
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", https), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.1)
    stop(process)
    raise RuntimeError((tmp / "nginx.error.log").read_text())


def create_members(env: dict[str, str]) -> None:
    """Alice and Bob, made with the CLI as an administrator would (the schema is the test
    database's, already migrated)."""
    for email, name in (("alice@example.org", "Alice Martin"), ("bob@example.org", "Bob Durand")):
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "network:create_app", "members", "create"]
            + [email, "--name", name, "--status", "employee_entrepreneur", "--password-stdin"],
            env=env,
            cwd=ROOT,
            input=PASSWORD,
            text=True,
            check=True,
            capture_output=True,
        )


@pytest.fixture
def deployment(app, tmp_path):
    """Two app servers behind nginx, on the test database; yields the site's URLs, the
    folder of its files and logs, and the servers' addresses as nginx names them."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("runs in the PostgreSQL pass (TERREAU_TEST_BACKEND=postgresql)")
    require_redis(REDIS_URL)
    nginx = require_nginx()
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    env = {
        **os.environ,
        "TERREAU_ENV": "production",
        "SECRET_KEY": "two-servers-behind-nginx",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": REDIS_URL,
        "TERREAU_PROXY_COUNT": "1",
        "TERREAU_SEARCH_BACKEND": "postgres",
        # The uploads in one folder both servers mount (NFS…); S3 works too (docs/deploy.md).
        "TERREAU_STORAGE": "local",
        "TERREAU_STORAGE_DIR": str(tmp_path / "shared-uploads"),
    }
    env.pop("TERREAU_RATELIMIT_STORAGE", None)
    create_members({**env, "TERREAU_DATA_DIR": str(tmp_path / "cli")})
    ports = (free_port(), free_port())
    http, https = free_port(), free_port()
    make_certificate(tmp_path)
    (tmp_path / "terreau.conf").write_text(nginx_site(ports, http, https, tmp_path))
    started = []
    try:
        for name, port in zip("ab", ports, strict=True):
            data = tmp_path / f"server-{name}"
            data.mkdir()
            server_env = {**env, "TERREAU_DATA_DIR": str(data)}
            started.append(start_gunicorn(server_env, port, tmp_path / f"server-{name}.log"))
        started.append(start_nginx(nginx, tmp_path, https))
        yield {
            "url": f"https://127.0.0.1:{https}",
            "http": f"http://127.0.0.1:{http}",
            "tmp": tmp_path,
            "servers": [f"127.0.0.1:{port}" for port in ports],
        }
    finally:
        for process in reversed(started):
            stop(process)


# --- clients from distinct loopback addresses ---------------------------------------------


class FromAddress(HTTPAdapter):
    """Connections from one local address (127.0.0.0/8 is all loopback): nginx tells the
    clients apart by address, as it tells apart people's computers."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


class Visitor:
    """Someone at `address`: HTTP requests and a Socket.IO connection through nginx."""

    def __init__(self, site: dict, address: str) -> None:
        self.site, self.address = site, address
        self.http = requests.Session()
        self.http.mount("https://", FromAddress(address))
        self.http.mount("http://", FromAddress(address))
        self.http.verify = str(site["tmp"] / "cert.pem")
        self.http.trust_env = False  # REQUESTS_CA_BUNDLE would replace the test's certificate
        self.headers: dict[str, str] = {}

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def request(self, method: str, path: str, headers=None, **kwargs) -> requests.Response:
        headers = {**self.headers, **(headers or {})}
        url = self.site["url"] + path
        return self.http.request(method, url, headers=headers, timeout=10, **kwargs)

    def sign_in(self, email: str) -> str:
        answer = self.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
        assert answer.status_code == 201, answer.text
        self.token = answer.json()["token"]
        self.headers = {"Authorization": f"Bearer {self.token}", "Accept-Language": "en"}
        return self.token

    def sign_in_with_the_form(self, email: str) -> None:
        """A browser's session (a cookie), for the pages."""
        answer = self.form("/login", {"email": email, "password": PASSWORD})
        assert answer.status_code == 302, answer.text

    def form(self, path: str, data: dict, files: dict | None = None) -> requests.Response:
        """Post a page's form with its CSRF token (and the Referer HTTPS requires)."""
        page = self.get(path).text
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        return self.post(
            path,
            data={"csrf_token": token, **data},
            files=files,
            headers={"Referer": self.site["url"] + path},
            allow_redirects=False,
        )

    def upstream(self) -> str:
        """The app server nginx sends this visitor to (from its access log)."""
        request_id = self.get("/healthz").headers["X-Request-ID"]
        line = rf"^{re.escape(self.address)} .* upstream=(\S+) rid={request_id}$"
        return logged(self.site, line).group(1)

    def connect(self, transport: str) -> socketio.SimpleClient:
        """A Socket.IO connection over one transport (long-polling takes many requests,
        which must all reach the same server)."""
        options: dict = {"http_session": self.http}
        if transport == "websocket":
            options["websocket_extra_options"] = {"socket": self._tls_socket()}
        client = socketio.SimpleClient(**options)
        client.connect(self.site["url"], auth={"token": self.token}, transports=[transport])
        return client

    def _tls_socket(self) -> ssl.SSLSocket:
        port = int(self.site["url"].rsplit(":", 1)[1])
        raw = socket.create_connection(("127.0.0.1", port), source_address=(self.address, 0))
        context = ssl.create_default_context(cafile=self.http.verify)
        return context.wrap_socket(raw, server_hostname="127.0.0.1")


def visitors_on_each_server(site: dict) -> tuple[Visitor, Visitor]:
    """Two visitors whose addresses nginx sends to different servers."""
    seen: dict[str, Visitor] = {}
    for last in range(2, 60):
        visitor = Visitor(site, f"127.0.0.{last}")
        seen.setdefault(visitor.upstream(), visitor)
        if len(seen) == 2:
            break
    assert sorted(seen) == sorted(site["servers"])
    return seen[site["servers"][0]], seen[site["servers"][1]]


def next_event(client: socketio.SimpleClient, name: str, timeout: float = 10) -> dict:
    while True:
        event, *args = client.receive(timeout=timeout)
        if event == name:
            return args[0]


# --- the test -----------------------------------------------------------------------------


def test_two_servers_behind_nginx_serve_one_site(deployment):
    """One deployment for all the checks: starting it takes most of the time."""
    alice, bob = visitors_on_each_server(deployment)
    alice.sign_in("alice@example.org")
    bob.sign_in("bob@example.org")
    assert alice.upstream() != bob.upstream()  # each visitor stays on its server
    members_chat_live(alice, bob)
    a_post_written_on_one_server_is_found_on_the_other(alice, bob)
    an_avatar_uploaded_on_one_server_is_served_by_the_other(alice, bob)
    nginx_ends_tls_and_serves_static_files(deployment, alice)
    the_client_address_is_forwarded(deployment)


def members_chat_live(alice: Visitor, bob: Visitor) -> None:
    """Alice's connection long-polls server A (many requests, all sent there), Bob's is a
    WebSocket to server B; Redis carries their messages from one server to the other."""
    bob_id = bob.get("/api/v1/me").json()["id"]
    channel = alice.post(
        "/api/v1/channels",
        json={"name": "Deux serveurs", "kind": "private", "member_ids": [bob_id]},
    ).json()
    on_a, on_b = alice.connect("polling"), bob.connect("websocket")
    try:
        for client in (on_a, on_b):
            assert client.call("join", {"channel_id": channel["id"]}, timeout=10)["channel_id"]
        sent = on_a.call(
            "send", {"channel_id": channel["id"], "body": "Bonjour de A", "client_id": "a-1"}
        )
        assert next_event(on_b, "message")["id"] == sent["message"]["id"]
        reply = on_b.call(
            "send", {"channel_id": channel["id"], "body": "Bonjour de B", "client_id": "b-1"}
        )
        received = next_event(on_a, "message")
        while received["id"] != reply["message"]["id"]:  # A's own message came back first
            received = next_event(on_a, "message")
    finally:
        on_a.disconnect()
        on_b.disconnect()


def a_post_written_on_one_server_is_found_on_the_other(alice: Visitor, bob: Visitor) -> None:
    """The search index is the database's (TERREAU_SEARCH_BACKEND=postgres), not a folder of
    each server."""
    post = alice.post("/api/v1/posts", json={"body": "Atelier de céramique à Pantin"})
    assert post.status_code == 201, post.text
    found = bob.get("/api/v1/search", params={"q": "céramique"})
    assert found.status_code == 200, found.text
    assert ("post", post.json()["id"]) in {(r["kind"], r["id"]) for r in found.json()["results"]}


def an_avatar_uploaded_on_one_server_is_served_by_the_other(alice: Visitor, bob: Visitor) -> None:
    """The uploads are in a folder both servers share (TERREAU_STORAGE_DIR)."""
    picture = io.BytesIO()
    Image.new("RGB", (300, 200), "orange").save(picture, "PNG")
    alice.sign_in_with_the_form("alice@example.org")
    saved = alice.form(
        "/me/profile",
        {"display_name": "Alice Martin"},
        files={"avatar": ("me.png", picture.getvalue(), "image/png")},
    )
    assert saved.status_code == 302, saved.text
    avatar = alice.get("/api/v1/me").json()["avatar_full_url"]
    bob.sign_in_with_the_form("bob@example.org")
    served = bob.get(avatar, allow_redirects=True)
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/webp"
    assert Image.open(io.BytesIO(served.content)).size == (300, 200)


def logged(deployment: dict, pattern: str, timeout: float = 10.0) -> re.Match:
    """The line of nginx's access log matching `pattern` (nginx writes it once the answer
    has gone out: a client may read the answer first)."""
    path = deployment["tmp"] / "terreau.access.log"
    deadline = time.monotonic() + timeout
    while True:
        log = path.read_text()
        found = re.search(pattern, log, re.M)
        if found or time.monotonic() > deadline:
            assert found, log[-2000:]
            return found
        time.sleep(0.05)


def nginx_ends_tls_and_serves_static_files(deployment: dict, visitor: Visitor) -> None:
    plain = visitor.http.get(deployment["http"] + "/feed", allow_redirects=False, timeout=10)
    assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")
    page = visitor.get("/login")
    static = visitor.get("/static/js/live.js")
    assert page.status_code == static.status_code == 200
    for answer in (page, static):  # one HSTS header: nginx's (the app's is hidden)
        assert answer.raw.headers.getlist("Strict-Transport-Security") == [
            "max-age=31536000; includeSubDomains"
        ]
    logged(deployment, r'"GET /static/js/live.js HTTP/1.1" 200 .* upstream=- ')
    # The app's request id is nginx's: their log lines match.
    logged(deployment, f"rid={page.headers['X-Request-ID']}$")
    # A browser's Socket.IO handshake from the site itself is accepted, another site's not.
    handshake = "/socket.io/?EIO=4&transport=polling"
    assert visitor.get(handshake, headers={"Origin": deployment["url"]}).status_code == 200
    assert visitor.get(handshake, headers={"Origin": "https://evil.example"}).status_code == 400
    for path in ("/healthz", "/readyz"):
        assert visitor.get(path).json()["status"] == "ok"


def the_client_address_is_forwarded(deployment: dict) -> None:
    """The sign-in limit counts each client's own address (X-Forwarded-For, one proxy
    trusted), not nginx's."""
    wrong = {"email": "carol@example.org", "password": "wrong"}
    first, second = Visitor(deployment, "127.0.0.100"), Visitor(deployment, "127.0.0.101")
    codes = [first.post("/api/v1/auth/token", json=wrong).status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]  # five a minute for one account from one address
    assert second.post("/api/v1/auth/token", json=wrong).status_code == 401
