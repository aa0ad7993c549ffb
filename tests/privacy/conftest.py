"""Privacy fixtures: the other modules' fixtures, to write something in each of them, and
helpers reading a member's export."""

import io
import json
import zipfile

import pytest

from tests.governance.conftest import draft, opened, vote  # noqa: F401
from tests.mutual_aid.conftest import hold, make_skill, post_offer  # noqa: F401
from tests.services.desk.conftest import ask, make_service  # noqa: F401
from tests.workspaces.conftest import at, book, make_space, next_weekday, staff  # noqa: F401

__all__ = ["at", "next_weekday"]


@pytest.fixture
def export_of(client):
    """export_of(headers) → {file name: parsed JSON or text} of the member's new export
    (built at once: a small account)."""

    def read(headers):
        response = client.post("/api/v1/me/export", headers=headers)
        assert response.status_code == 202, response.get_json()
        export = client.get(response.get_json()["url"], headers=headers).get_json()
        assert export["state"] == "ready", export
        archive = client.get(export["download_url"], headers=headers)
        assert archive.status_code == 200
        files = {}
        with zipfile.ZipFile(io.BytesIO(archive.data)) as zipped:
            for name in zipped.namelist():
                data = zipped.read(name)
                files[name] = json.loads(data) if name.endswith(".json") else data
        return files

    return read
