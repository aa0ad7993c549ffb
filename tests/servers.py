"""Real server processes for scale-out tests (`python -m network` on free loopback ports)."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_redis(url: str) -> None:
    """Skip without Redis, except in CI where it is mandatory."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        if IN_CI:
            pytest.fail(f"Redis is required in CI but unreachable at {url}: {error}")
        pytest.skip(f"Redis unreachable at {url}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_database(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "network:create_app", "db", "upgrade"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def start_server(
    env: dict[str, str], port: int | None = None, log: Path | None = None
) -> tuple[subprocess.Popen, str]:
    """One server process (with its index writer) in a process group of its own, so that a
    test may kill both at once as a crash would; returns it and its base URL once it answers.
    `log`: a file its output is appended to (default: none kept)."""
    port = port or free_port()
    output = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 — the child's
    process = subprocess.Popen(
        [sys.executable, "-m", "network", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=output,
        stderr=output,
        start_new_session=True,
    )
    if log:
        output.close()  # the child holds its own copy
    url = f"http://127.0.0.1:{port}"
    _wait_until_up(url)
    return process, url


@contextmanager
def running_servers(count: int, env: dict[str, str]):
    """Start `count` server processes sharing `env`; yield their base URLs; stop them."""
    processes, urls = [], []
    try:
        for _ in range(count):
            port = free_port()
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "network", "--port", str(port)],
                    env=env,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        for url, process in zip(urls, processes, strict=True):
            _wait_until_up(url, process)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def _wait_until_up(url: str, process: subprocess.Popen | None = None, attempts: int = 600) -> None:
    """Wait up to 60 s (a busy machine); fail at once when the server exits."""
    for _ in range(attempts):
        try:
            requests.get(f"{url}/login", timeout=1)
            return
        except (requests.ConnectionError, requests.Timeout):  # a gunicorn worker still booting
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"server at {url} exited ({process.returncode})") from None
            time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not start")


def require_binary(name: str, *candidates: str) -> str:
    """The path of a service's program; skip without it, except in CI where it is mandatory."""
    import shutil

    for path in (shutil.which(name), *candidates):
        if path and Path(path).is_file():
            return path
    if IN_CI:
        pytest.fail(f"{name} is required in CI but not installed")
    pytest.skip(f"{name} is not installed")


class ThrowAwayRedis:
    """A Redis of our own on a free port (never the machine's shared one), stopped and
    started again by fault tests; nothing saved to disk."""

    def __init__(self) -> None:
        self.binary = require_binary("redis-server")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("the throw-away Redis did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


PG_BIN = Path("/usr/lib/postgresql/15/bin")


class ThrowAwayPostgres:
    """A PostgreSQL cluster of our own on a free port, in a temporary folder (never the
    machine's shared server), stopped and started again by fault tests. initdb and pg_ctl
    refuse to run as root: then they run as the `postgres` user, in a folder it owns."""

    def __init__(self) -> None:
        import tempfile

        self.initdb = require_binary("initdb", str(PG_BIN / "initdb"))
        self.pg_ctl = require_binary("pg_ctl", str(PG_BIN / "pg_ctl"))
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="terreau-pg-"))
        self.data = self.folder / "data"
        self._as: list[str] = []
        if os.geteuid() == 0:
            import shutil

            shutil.chown(self.folder, "postgres", "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        self._run(self.initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust")
        self._databases = 0

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, cwd=self.folder)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=on"
        self._run(self.pg_ctl, "-D", str(self.data), "-o", options, "-w", "-l",
                  str(self.folder / "log"), "start")  # fmt: skip

    def stop(self) -> None:
        self._run(self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def new_database(self) -> str:
        """The URL of a new, empty database in the cluster."""
        import psycopg

        self._databases += 1
        name = f"terreau_{self._databases}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def remove(self) -> None:
        import contextlib
        import shutil

        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def require_nginx() -> str:
    """The path of Debian's nginx; skip without it, except in CI where it is mandatory."""
    found = shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(path, os.X_OK)),
        None,
    )
    if found is None:
        if IN_CI:
            pytest.fail("nginx is required in CI (make browser installs it)")
        pytest.skip("nginx is not installed (make browser installs it as root)")
    return found


def start_gunicorn(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    """One gunicorn server with the example settings (deploy/gunicorn.conf.py) on `port`,
    in a process group of its own, its log in `log`; returned once it answers."""
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"]
            + ["network.wsgi:app"],
            env={**env, "TERREAU_BIND": f"127.0.0.1:{port}"},
            cwd=ROOT,
            stdout=output,
            stderr=output,
            start_new_session=True,
        )
    try:
        _wait_until_up(f"http://127.0.0.1:{port}")
    except RuntimeError:
        stop(process)
        raise RuntimeError(log.read_text()[-3000:]) from None
    return process


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
