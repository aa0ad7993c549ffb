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


def start_server(env: dict[str, str], port: int | None = None) -> tuple[subprocess.Popen, str]:
    """One server process (with its index writer) in a process group of its own, so that a
    test may kill both at once as a crash would; returns it and its base URL once it answers."""
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "network", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
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
        for url in urls:
            _wait_until_up(url)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def _wait_until_up(url: str, attempts: int = 600) -> None:  # 60 s on a busy machine
    for _ in range(attempts):
        try:
            requests.get(f"{url}/login", timeout=1)
            return
        except (requests.ConnectionError, requests.Timeout):  # a gunicorn worker still booting
            time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not start")


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
