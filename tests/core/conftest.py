"""Fixtures of the kernel's tests: an S3 endpoint (moto's standalone server)."""

import socket
import subprocess
import sys
import time
import uuid

import pytest
import requests

from network.core.storage import S3Storage


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint():
    """moto's S3 server on a free port, for the whole run."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(endpoint, timeout=1)
            break
        except requests.ConnectionError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("moto's S3 server did not start")
            time.sleep(0.2)
    yield endpoint
    server.terminate()
    server.wait(timeout=10)


def make_s3(endpoint: str) -> S3Storage:
    bucket = f"terreau-{uuid.uuid4().hex[:12]}"
    store = S3Storage(
        bucket,
        endpoint_url=endpoint,
        region="us-east-1",
        access_key="testing",
        secret_key="testing",
        prefix="uploads",
    )
    store.client.create_bucket(Bucket=bucket)
    return store
