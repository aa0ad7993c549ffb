import pytest

from network.extensions import db as _db


@pytest.fixture
def make_service(app, make_member):
    """make_service(**fields) → the id of a new service (created by a staff member through
    the operations), with by default a required number, a choice and an optional file."""

    def make(**fields):
        from network.members.models import Member
        from network.services.desk import operations

        staff = make_member(role="staff")
        data = {
            "name_fr": "Comptabilité",
            "name_en": "Accounting",
            "team": "accounting",
            "response_days": 2,
            "fields": [
                {"key": "amount", "kind": "number", "label_fr": "Montant", "required": True},
                {
                    "key": "period",
                    "kind": "choice",
                    "label_fr": "Période",
                    "choices": ["T1", "T2"],
                    "required": False,
                },
                {"key": "since", "kind": "date", "label_fr": "Depuis le"},
                {"key": "invoice", "kind": "file", "label_fr": "Facture"},
            ],
            **fields,
        }
        with app.test_request_context():
            service = operations.create_service(_db.session.get(Member, staff.id), data)
            _db.session.commit()
            return service.id

    return make


@pytest.fixture
def ask(client):
    """ask(headers, service_id, **body) → the response of POST /api/v1/requests."""
    counter = iter(range(1, 100_000))

    def send(headers, service_id, **body):
        payload = {
            "service_id": service_id,
            "subject": "Ma facture n'est pas passée",
            "answers": {"amount": "1200"},
            "client_id": f"c{next(counter)}",
            **body,
        }
        return client.post("/api/v1/requests", json=payload, headers=headers)

    return send


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
