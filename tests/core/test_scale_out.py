"""Several server processes behind one Redis share what must be shared."""

import os

import pytest
import requests

from tests.servers import prepare_database, require_redis, running_servers

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
pytestmark = pytest.mark.redis


def test_login_rate_limit_holds_across_two_processes(tmp_path):
    require_redis(REDIS_URL)
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    env = {
        **os.environ,
        "TERREAU_DATA_DIR": str(tmp_path),
        "REDIS_URL": REDIS_URL,
        "TERREAU_LOGIN_RATE_LIMIT": "3 per minute",
        "SECRET_KEY": "scale-out-test",
    }
    env.pop("DATABASE_URL", None)
    prepare_database(env)
    with running_servers(2, env) as (first, second):
        codes = [
            requests.post(
                f"{url}/api/v1/auth/token",
                timeout=5,
                json={"email": "x@example.org", "password": "wrong"},
            ).status_code
            for url in (first, second, first, second)
        ]
    assert codes == [401, 401, 401, 429]
