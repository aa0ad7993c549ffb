"""The documents of a general assembly (accounts, reports): joined by the staff through the
API and the page while it is prepared or convened, checked on their content, listed, told
in the convocation, downloaded by the associates on the register only, removed until the
assembly is held."""

import re
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import select

from network.extensions import db
from tests.conftest import csrf_token

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ODS = b"PK\x03\x04" + b"\x00" * 60  # an OpenDocument file is a zip archive
EN = {"Accept-Language": "en"}


def soon(**delta) -> str:
    return (datetime.now(UTC) + (timedelta(**delta) if delta else timedelta(days=20))).isoformat()


@pytest.fixture
def staff(member_api):
    return member_api(role="staff", status="employee_entrepreneur")


@pytest.fixture
def drafted(client, staff):
    """drafted(**fields) → the JSON of a draft assembly with one resolution."""

    def make(**fields):
        body = {
            "kind": "ordinary",
            "title": "Assemblée générale annuelle",
            "starts_at": soon(),
            "resolutions": [{"title": "Approbation des comptes", "majority": "ordinary"}],
            **fields,
        }
        made = client.post("/api/v1/assemblies", json=body, headers=staff[1])
        assert made.status_code == 201, made.get_json()
        return made.get_json()

    return make


def attach(client, headers, assembly_id, name, data, title="Comptes annuels 2025"):
    return client.post(
        f"/api/v1/assemblies/{assembly_id}/documents",
        data={"file": (BytesIO(data), name), "title": title},
        headers=headers,
        content_type="multipart/form-data",
    )


def convene(client, headers, assembly_id):
    answer = client.post(f"/api/v1/assemblies/{assembly_id}/convene", headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["assembly"]


def test_documents_are_joined_listed_told_and_read_by_the_register_only(
    app, client, staff, drafted, member_api, login, outbox
):
    associate, associate_headers = member_api(status="associate")
    outsider, outsider_headers = member_api(status="employee_entrepreneur")
    assembly = drafted()
    aid = assembly["id"]
    made = attach(client, staff[1], aid, "comptes-2025.pdf", PDF)
    assert made.status_code == 201, made.get_json()
    document = made.get_json()
    assert document["title"] == "Comptes annuels 2025" and document["name"] == "comptes-2025.pdf"
    assert document["content_type"] == "application/pdf" and document["size"] == len(PDF)
    report = attach(client, staff[1], aid, "rapport.ods", ODS, title="Rapport de gestion")
    assert report.status_code == 201, report.get_json()
    assert attach(client, associate_headers, aid, "x.pdf", PDF).status_code == 404  # a draft
    listed = client.get(f"/api/v1/assemblies/{aid}", headers=staff[1]).get_json()
    titles = [d["title"] for d in listed["documents"]]
    assert titles == ["Comptes annuels 2025", "Rapport de gestion"]

    convene(client, staff[1], aid)
    notes = client.get("/api/v1/notifications", headers=associate_headers).get_json()["items"]
    assert any("Documents to read on its page: 2." in n["text"] for n in notes)
    mails = [m for m in outbox() if m["To"] == associate.email]
    body = mails[-1].get_payload(decode=True).decode()
    assert "- Comptes annuels 2025 (comptes-2025.pdf)" in body
    assert f"/assemblies/{aid}" in body  # the link to the assembly's page

    mine = client.get(f"/api/v1/assemblies/{aid}", headers=associate_headers).get_json()
    assert len(mine["documents"]) == 2
    for c, url in (
        (client, document["url"]),  # the API, with the bearer token
        (login(associate, c=app.test_client()), f"/assemblies/{aid}/documents/{document['id']}"),
    ):
        got = c.get(url, headers=associate_headers if c is client else EN)
        assert got.status_code == 200 and got.data == PDF
        assert got.headers["Content-Type"] == "application/pdf"
        assert got.headers["Content-Disposition"].startswith("attachment")
        assert "comptes-2025.pdf" in got.headers["Content-Disposition"]
        assert got.headers["X-Content-Type-Options"] == "nosniff"
    page = login(associate, c=app.test_client()).get(f"/assemblies/{aid}", headers=EN)
    assert "Comptes annuels 2025" in page.get_data(as_text=True)

    # A member who is not on the register sees the assembly, never its documents.
    late, late_headers = member_api(status="associate")  # joined after the convocation
    for who, headers in ((outsider, outsider_headers), (late, late_headers)):
        assert client.get(document["url"], headers=headers).status_code == 404
        answer = client.get(f"/api/v1/assemblies/{aid}", headers=headers).get_json()
        assert "documents" not in answer
        listing = client.get("/api/v1/assemblies", headers=headers).get_json()["items"]
        assert all("documents" not in a for a in listing)
        c = login(who, c=app.test_client())
        assert c.get(f"/assemblies/{aid}/documents/{document['id']}").status_code == 404
        assert "Comptes annuels 2025" not in c.get(f"/assemblies/{aid}").get_data(as_text=True)
    # Another assembly's address does not reach this document.
    other = drafted(title="AG extraordinaire")
    assert (
        client.get(
            f"/api/v1/assemblies/{other['id']}/documents/{document['id']}", headers=staff[1]
        ).status_code
        == 404
    )


def kept_files(app) -> set[Path]:
    folder = Path(app.config["DATA_DIR"]) / "uploads" / "assemblies"
    return set(folder.iterdir()) if folder.exists() else set()


def test_refused_files_and_titles(app, client, staff, drafted):
    aid = drafted()["id"]
    before = kept_files(app)

    def refused(name, data, field, words, title="Comptes"):
        answer = attach(client, staff[1], aid, name, data, title=title)
        assert answer.status_code == 422, answer.get_json()
        assert words in answer.get_json()["errors"][field]

    refused("virus.exe", b"MZ....", "file", "not accepted")
    refused("photo.png", b"\x89PNG\r\n\x1a\n", "file", "not accepted")  # not a document
    refused("comptes.pdf", b"<html><script>", "file", "does not match")
    refused("rapport.docx", PDF, "file", "does not match")
    refused("comptes.pdf", PDF, "title", "required", title="  ")
    with app.app_context():
        from network.cooperative.settings import load_cooperative

        cooperative = load_cooperative()
        cooperative.values = {**cooperative.values, "ag_document_max_kb": 100}
        db.session.commit()
    refused("grosse.pdf", PDF + b"0" * 200_000, "file", "too large")
    missing = client.post(
        f"/api/v1/assemblies/{aid}/documents",
        data={"title": "Comptes"},
        headers=staff[1],
        content_type="multipart/form-data",
    )
    assert missing.status_code == 422 and "file" in missing.get_json()["errors"]
    assert client.get(f"/api/v1/assemblies/{aid}", headers=staff[1]).get_json()["documents"] == []
    assert kept_files(app) == before  # nothing refused was kept


def test_removal_until_the_assembly_is_held(app, client, staff, drafted, member_api):
    from network.core.audit import AuditEvent

    _associate, associate_headers = member_api(status="associate")
    aid = drafted(starts_at=soon(minutes=20))["id"]
    first = attach(client, staff[1], aid, "comptes.pdf", PDF).get_json()
    second = attach(client, staff[1], aid, "rapport.pdf", PDF, title="Rapport").get_json()
    assembly = convene(client, staff[1], aid)
    with app.app_context():
        from network.governance.models import AssemblyDocument

        key = db.session.get(AssemblyDocument, first["id"]).key
    stored = Path(app.config["DATA_DIR"]) / "uploads" / key
    assert stored.exists()
    url = f"/api/v1/assemblies/{aid}/documents/{first['id']}"
    assert client.delete(url, headers=associate_headers).status_code == 403
    assert client.delete(url, headers=staff[1]).status_code == 204  # convened: still possible
    assert not stored.exists() and client.get(url, headers=staff[1]).status_code == 404
    assert client.delete(url, headers=staff[1]).status_code == 404

    resolution = assembly["resolutions"][0]["id"]
    opened = client.post(f"/api/v1/resolutions/{resolution}/open", headers=staff[1])
    assert opened.status_code == 200, opened.get_json()  # the assembly is in session
    held = client.delete(f"/api/v1/assemblies/{aid}/documents/{second['id']}", headers=staff[1])
    assert held.status_code == 409 and "held" in held.get_json()["detail"]
    assert attach(client, staff[1], aid, "tard.pdf", PDF).status_code == 409
    with app.app_context():
        actions = list(
            db.session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.action.like("assembly_document_%"))
                .order_by(AuditEvent.id)
            )
        )
    assert actions == [
        "assembly_document_attached",
        "assembly_document_attached",
        "assembly_document_removed",
    ]


def test_the_staff_form_joins_and_removes_with_csrf(app, staff, drafted, login):
    aid = drafted()["id"]
    c = login(staff[0], c=app.test_client())
    new = c.get("/assemblies/new", headers=EN).get_data(as_text=True)
    assert "join its documents" in new  # on the assembly's page, once the draft exists
    page = c.get(f"/assemblies/{aid}", headers=EN).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and "Join the document" in page

    def send(data, token=True):
        form = {"title": "Comptes annuels", **data}
        if token:
            form["csrf_token"] = csrf_token(c, f"/assemblies/{aid}")
        return c.post(
            f"/assemblies/{aid}/documents",
            data=form,
            headers=EN,
            content_type="multipart/form-data",
        )

    forged = send({"file": (BytesIO(PDF), "comptes.pdf")}, token=False)
    assert forged.status_code == 400
    lying = send({"file": (BytesIO(b"<html>"), "comptes.pdf")})
    assert lying.status_code == 422
    text = lying.get_data(as_text=True)
    assert "does not match its type" in text and 'value="Comptes annuels"' in text
    done = send({"file": (BytesIO(PDF), "comptes.pdf")})
    assert done.status_code == 303
    assert done.headers["Location"].endswith(f"/assemblies/{aid}#documents")
    page = c.get(f"/assemblies/{aid}", headers=EN).get_data(as_text=True)
    assert "The document is joined to the assembly." in page and "Comptes annuels" in page
    doc_id = re.search(rf"/assemblies/{aid}/documents/(\d+)/remove", page).group(1)
    assert c.post(f"/assemblies/{aid}/documents/{doc_id}/remove").status_code == 400  # no token
    removed = c.post(
        f"/assemblies/{aid}/documents/{doc_id}/remove",
        data={"csrf_token": csrf_token(c, f"/assemblies/{aid}")},
        headers=EN,
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "The document is removed." in removed and "No document is joined" in removed


def test_the_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    documents = paths["/api/v1/assemblies/{assembly_id}/documents"]["post"]
    assert "multipart/form-data" in documents["requestBody"]["content"]
    one = paths["/api/v1/assemblies/{assembly_id}/documents/{document_id}"]
    assert {"get", "delete"} <= set(one)
