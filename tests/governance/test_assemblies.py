# ruff: noqa: E501
"""General assemblies through the API: preparing, convening with a frozen register,
proxies within the legal caps (also under concurrent requests), check-in and the quorum
meter, votes held by proxy, verdicts that state the rule, the second convocation, and
minutes frozen once signed."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from network.extensions import db


def soon(**delta) -> str:
    return (datetime.now(UTC) + (timedelta(**delta) if delta else timedelta(days=20))).isoformat()


def agenda(*specs):
    return [
        {"title": title, "text": f"Texte de {title}", "majority": majority, "secret": secret}
        for title, majority, secret in specs
    ]


@pytest.fixture
def staff(member_api):
    return member_api(role="staff", status="employee_entrepreneur")


@pytest.fixture
def associates(member_api):
    def make(n):
        return [member_api(status="associate") for _ in range(n)]

    return make


@pytest.fixture
def convened(client, staff):
    """convened(kind, resolutions, **fields) → the JSON of an assembly prepared and convened."""

    def make(kind="ordinary", resolutions=None, **fields):
        _s, headers = staff
        body = {
            "kind": kind,
            "title": "Assemblée générale annuelle",
            "starts_at": soon(),
            "place": "Salle du conseil, Lyon",
            "resolutions": resolutions or agenda(("Approbation des comptes", "ordinary", False)),
            **fields,
        }
        made = client.post("/api/v1/assemblies", json=body, headers=headers)
        assert made.status_code == 201, made.get_json()
        answer = client.post(f"/api/v1/assemblies/{made.get_json()['id']}/convene", headers=headers)
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()["assembly"]

    return make


def test_convening_freezes_the_register_and_keeps_the_proof(
    client, app, staff, associates, convened, member_api
):
    people = associates(3)
    member_api(status="employee_entrepreneur")  # not an associate: not convened
    assembly = convened()
    assert assembly["state"] == "convened" and assembly["register_size"] == 3
    member_api(status="associate")  # joins after the convocation: not on the register
    register = client.get(f"/api/v1/assemblies/{assembly['id']}/register", headers=staff[1])
    items = register.get_json()["items"]
    assert len(items) == 3 and all(item["convened_at"] for item in items)
    csv = client.get(f"/api/v1/assemblies/{assembly['id']}/register?format=csv", headers=staff[1])
    assert csv.mimetype == "text/csv" and csv.get_data(as_text=True).count("\n") == 4
    notes = client.get("/api/v1/notifications", headers=people[0][1]).get_json()["items"]
    assert any("convened to the general assembly" in n["text"] for n in notes)


def test_a_short_delay_is_warned_and_a_past_date_refused(client, staff, associates):
    associates(1)
    _s, headers = staff
    body = {
        "kind": "ordinary",
        "title": "AG",
        "starts_at": soon(days=3),
        "resolutions": agenda(("R", "ordinary", False)),
    }
    made = client.post("/api/v1/assemblies", json=body, headers=headers).get_json()
    answer = client.post(f"/api/v1/assemblies/{made['id']}/convene", headers=headers).get_json()
    assert answer["warnings"] == [
        "The statutes ask for 15 days between the convocation and the assembly."
    ]
    past = client.post(
        "/api/v1/assemblies", json=body | {"starts_at": soon(days=-1)}, headers=headers
    ).get_json()
    refused = client.post(f"/api/v1/assemblies/{past['id']}/convene", headers=headers)
    assert refused.status_code == 422 and "starts_at" in refused.get_json()["errors"]
    edited = client.patch(
        f"/api/v1/assemblies/{made['id']}",
        json={"resolutions": agenda(("Autre", "ordinary", False))},
        headers=headers,
    )
    assert edited.status_code == 409  # a resolution edited after convocation


def test_members_do_not_prepare_assemblies(client, associates):
    ((_m, headers),) = associates(1)
    body = {"kind": "ordinary", "title": "AG", "starts_at": soon()}
    assert client.post("/api/v1/assemblies", json=body, headers=headers).status_code == 403


@pytest.mark.parametrize(("size", "cap"), [(19, 1), (20, 1), (21, 1), (40, 2), (41, 2)])
def test_proxy_caps_by_the_size_of_the_register(client, associates, convened, size, cap):
    people = associates(size)
    assembly = convened()
    holder = people[0][0]
    url = f"/api/v1/assemblies/{assembly['id']}/proxies"
    answers = [
        client.post(url, json={"holder_id": holder.id}, headers=h).status_code
        for _m, h in people[1 : cap + 2]
    ]
    assert answers == [201] * cap + [409]
    listed = client.get(url, headers=people[0][1]).get_json()
    assert listed["cap"] == cap and len(listed["items"]) == cap


def test_bad_proxies_are_refused(client, associates, convened, member_api):
    people = associates(3)
    outsider, outsider_headers = member_api(status="employee_entrepreneur")
    assembly = convened()
    url = f"/api/v1/assemblies/{assembly['id']}/proxies"
    (a, a_headers), (b, _bh), (c, c_headers) = people
    assert (
        client.post(url, json={"holder_id": a.id}, headers=a_headers).status_code == 422
    )  # oneself
    assert client.post(url, json={"holder_id": outsider.id}, headers=a_headers).status_code == 422
    assert client.post(url, json={"holder_id": b.id}, headers=outsider_headers).status_code == 403
    given = client.post(url, json={"holder_id": b.id}, headers=a_headers)
    assert given.status_code == 201
    assert client.post(url, json={"holder_id": None}, headers=a_headers).status_code == 409  # twice
    assert (
        client.delete(f"/api/v1/proxies/{given.get_json()['id']}", headers=c_headers).status_code
        == 404
    )
    assert (
        client.delete(f"/api/v1/proxies/{given.get_json()['id']}", headers=a_headers).status_code
        == 204
    )
    blank = client.post(url, json={"holder_id": None}, headers=a_headers)
    assert blank.status_code == 201 and blank.get_json()["holder"] is None


def test_an_ag_with_check_in_proxies_votes_and_verdicts(client, app, staff, associates, convened):
    people = associates(4)
    (a, ah), (b, bh), (c, ch), (d, dh) = people
    assembly = convened(
        resolutions=agenda(("Comptes", "ordinary", False), ("Gérance", "ordinary", True)),
        starts_at=soon(minutes=30),  # the session is about to begin: the chair may open votes
    )
    first, second = (r["id"] for r in assembly["resolutions"])
    base = f"/api/v1/assemblies/{assembly['id']}"
    client.post(f"{base}/proxies", json={"holder_id": a.id}, headers=dh)  # d gives to a
    for headers in (ah, bh):
        assert (
            client.post(
                f"{base}/attendance", json={"presence": "online"}, headers=headers
            ).status_code
            == 200
        )
    meter = client.get(f"{base}/quorum", headers=ah).get_json()
    assert (meter["online"], meter["represented"], meter["counted"], meter["register"]) == (
        2,
        1,
        3,
        4,
    )
    _s, staff_headers = staff
    assert (
        client.put(
            f"/api/v1/resolutions/{first}/vote", json={"choice": "for"}, headers=ah
        ).status_code
        == 409
    )  # not open
    assert (
        client.post(f"/api/v1/resolutions/{first}/open", headers=ah).status_code == 403
    )  # not the chair
    assert (
        client.post(f"/api/v1/resolutions/{first}/open", headers=staff_headers).status_code == 200
    )

    def vote(headers, **body):
        return client.put(f"/api/v1/resolutions/{first}/vote", json=body, headers=headers)  # noqa: E731

    assert vote(ah, choice="for").status_code == 200
    assert vote(ah, choice="for", on_behalf_of=d.id).status_code == 200  # the proxy held
    assert vote(ah, choice="for", on_behalf_of=d.id).status_code == 409  # more than held
    assert vote(ah, choice="for", on_behalf_of=b.id).status_code == 403  # not held
    assert vote(ch, choice="for").status_code == 403  # c did not check in
    assert vote(bh, choice="maybe").status_code == 422
    assert vote(bh, choice="for").status_code == 200
    client.post(f"{base}/attendance", json={"presence": "present"}, headers=ch)
    assert vote(ch, choice="against").status_code == 200
    closed = client.post(f"/api/v1/resolutions/{first}/close", headers=staff_headers).get_json()
    # AGO, first convocation: more than half of ALL 4 associates: 3 for of 4 → adopted
    assert closed["verdict"]["adopted"] is True
    assert (
        closed["verdict"]["for"],
        closed["verdict"]["against"],
        closed["verdict"]["needed"],
    ) == (3, 1, 3)
    assert closed["verdict"]["rule"] == {
        "quorum": None,
        "majority": "1/2",
        "strict": True,
        "base": "all",
    }
    assert vote(bh, choice="for").status_code == 409  # closed

    # A secret resolution: who voted is kept, not what
    client.post(f"/api/v1/resolutions/{second}/open", headers=staff_headers)
    for headers, choice in ((ah, "against"), (bh, "for")):
        assert (
            client.put(
                f"/api/v1/resolutions/{second}/vote", json={"choice": choice}, headers=headers
            ).status_code
            == 200
        )
    verdict = client.post(f"/api/v1/resolutions/{second}/close", headers=staff_headers).get_json()[
        "verdict"
    ]
    assert (verdict["for"], verdict["against"], verdict["adopted"]) == (1, 1, False)
    with app.app_context():
        from sqlalchemy import select

        from network.governance.models import ResolutionVote

        rows = db.session.scalars(
            select(ResolutionVote).where(ResolutionVote.resolution_id == second)
        ).all()
        assert {r.choice for r in rows} == {None}

    # minutes, signed then frozen
    assert client.post(f"{base}/close", headers=staff_headers).status_code == 200
    minutes = client.get(f"{base}/minutes", headers=ah).get_json()
    assert minutes["signed_at"] is None and len(minutes["minutes"]["resolutions"]) == 2
    statuses = {row["status"] for row in minutes["minutes"]["attendance"]}
    assert statuses == {"online", "present", "represented"}
    signed = client.post(f"{base}/minutes/sign", headers=staff_headers)
    assert signed.status_code == 200 and signed.get_json()["signed_at"]
    assert client.post(f"{base}/minutes/sign", headers=staff_headers).status_code == 409
    assert client.patch(base, json={"place": "Ailleurs"}, headers=staff_headers).status_code == 409


def test_an_age_without_quorum_goes_to_a_second_convocation(client, staff, associates, convened):
    people = associates(4)
    assembly = convened(
        kind="extraordinary", resolutions=agenda(("Statuts", "extraordinary", False))
    )
    base = f"/api/v1/assemblies/{assembly['id']}"
    client.post(f"{base}/attendance", json={"presence": "online"}, headers=people[0][1])
    meter = client.get(f"{base}/quorum", headers=people[0][1]).get_json()
    assert meter["quorum"]["extraordinary"] == {
        "reached": False,
        "needed": 3,
        "rule": "quorum 3/4 of the associates; at least 3/4 of the associates present or represented",
    }
    _s, staff_headers = staff
    second = client.post(
        f"{base}/no-quorum", json={"starts_at": soon(days=40)}, headers=staff_headers
    )
    assert second.status_code == 201
    assert second.get_json()["convocation"] == 2 and second.get_json()["state"] == "draft"
    assert [r["title"] for r in second.get_json()["resolutions"]] == ["Statuts"]
    assert client.get(base, headers=staff_headers).get_json()["state"] == "no_quorum"


def test_postal_votes_before_the_deadline_count_as_present(
    client, app, staff, associates, convened
):
    people = associates(2)
    assembly = convened()
    resolution = assembly["resolutions"][0]["id"]
    answer = client.put(
        f"/api/v1/resolutions/{resolution}/vote",
        json={"choice": "for", "postal": True},
        headers=people[0][1],
    )
    assert answer.status_code == 200
    meter = client.get(
        f"/api/v1/assemblies/{assembly['id']}/quorum", headers=people[0][1]
    ).get_json()
    assert meter["postal"] == 1
    with app.app_context():
        from network.governance.models import Assembly

        found = db.session.get(Assembly, assembly["id"])
        found.postal_deadline = datetime.now(UTC) - timedelta(minutes=1)
        db.session.commit()
    late = client.put(
        f"/api/v1/resolutions/{resolution}/vote",
        json={"choice": "for", "postal": True},
        headers=people[1][1],
    )
    assert late.status_code == 409


def test_the_assembly_page_from_check_in_to_verdict(
    app, client, staff, associates, convened, login
):
    from tests.conftest import csrf_token

    (a, _ah), (b, _bh) = associates(2)
    assembly = convened(starts_at=soon(minutes=20))
    resolution = assembly["resolutions"][0]["id"]
    en = {"Accept-Language": "en"}
    member = login(a, c=app.test_client())
    page = member.get(f"/assemblies/{assembly['id']}", headers=en).get_data(as_text=True)
    assert "Assemblée générale annuelle" in page and "I attend online" in page
    counts = re.sub(r"<[^>]+>", "", page)  # the counts are in elements of their own (live)
    assert "0 of 2 associates present, represented or voting by post" in counts

    def post(c, path, data):
        return c.post(
            path,
            data={"csrf_token": csrf_token(c, "/decisions"), **data},
            headers=en,
            follow_redirects=True,
        )

    checked = post(member, f"/assemblies/{assembly['id']}/check-in", {"presence": "online"})
    assert "Attendance recorded." in checked.get_data(as_text=True)
    chair = login(staff[0], c=app.test_client())
    opened = post(chair, f"/resolutions/{resolution}/open", {})
    assert "The vote is open." in opened.get_data(as_text=True)
    voted = post(
        member, f"/resolutions/{resolution}/vote", {"choice": "for", "on_behalf_of": str(a.id)}
    )
    assert "Your vote is counted." in voted.get_data(as_text=True)
    closed = post(chair, f"/resolutions/{resolution}/close", {}).get_data(as_text=True)
    assert "Rejected" in closed  # 1 vote for, of 2 associates: not more than half of all
    assert "more than half of all the associates" in closed
    again = post(member, f"/resolutions/{resolution}/vote", {"choice": "for"}).get_data(
        as_text=True
    )
    assert "vote is not open" in again
    listing = member.get("/assemblies", headers=en).get_data(as_text=True)
    assert f'href="/assemblies/{assembly["id"]}"' in listing


def test_the_minutes_as_a_page_and_a_pdf(app, client, staff, associates, convened, login):
    people = associates(2)
    assembly = convened(starts_at=soon(minutes=20))
    _s, staff_headers = staff
    resolution = assembly["resolutions"][0]["id"]
    base = f"/api/v1/assemblies/{assembly['id']}"
    for _m, headers in people:
        client.post(f"{base}/attendance", json={"presence": "present"}, headers=headers)
    client.post(f"/api/v1/resolutions/{resolution}/open", headers=staff_headers)
    for _m, headers in people:
        client.put(
            f"/api/v1/resolutions/{resolution}/vote", json={"choice": "for"}, headers=headers
        )
    client.post(f"/api/v1/resolutions/{resolution}/close", headers=staff_headers)
    client.post(f"{base}/close", headers=staff_headers)
    reader = login(people[0][0], c=app.test_client())
    page = reader.get(f"/assemblies/{assembly['id']}/minutes", headers={"Accept-Language": "fr"})
    text = page.get_data(as_text=True)
    assert "Procès-verbal de l'assemblée générale" in text or "Procès-verbal" in text
    assert "Adoptée" in text and "plus de la moitié de tous les associé·es" in text
    pdf = client.get(f"{base}/minutes.pdf", headers=staff_headers)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    english = reader.get(f"/assemblies/{assembly['id']}/minutes", headers={"Accept-Language": "en"})
    sheet = re.sub(r"<[^>]+>", "", english.get_data(as_text=True).split("Attendance sheet")[-1])
    assert "The associates were convened on" in sheet  # once, not on each row
    names = sorted(m.display_name for m, _h in people)
    assert re.search(rf"Present \(2\)\s*{re.escape(names[0])}, {re.escape(names[1])}", sheet)


def test_the_quorum_meter_and_votes_are_live(app, client, staff, associates, convened, connect):
    people = associates(3)
    assembly = convened(starts_at=soon(minutes=20))
    _s, staff_headers = staff
    watcher = connect(people[0][1])
    ack = watcher.emit("watch_assembly", {"assembly_id": assembly["id"]}, callback=True)
    assert ack["ok"] and ack["quorum"]["counted"] == 0
    assert watcher.emit("watch_assembly", {"assembly_id": 999999}, callback=True)["status"] == 404
    client.post(
        f"/api/v1/assemblies/{assembly['id']}/attendance",
        json={"presence": "online"},
        headers=people[1][1],
    )
    heard = [e["args"][0] for e in watcher.get_received() if e["name"] == "assembly_quorum"]
    assert heard and heard[-1]["online"] == 1 and heard[-1]["counted"] == 1
    resolution = assembly["resolutions"][0]["id"]
    client.post(f"/api/v1/resolutions/{resolution}/open", headers=staff_headers)
    client.put(
        f"/api/v1/resolutions/{resolution}/vote", json={"choice": "for"}, headers=people[1][1]
    )
    client.post(f"/api/v1/resolutions/{resolution}/close", headers=staff_headers)
    events = {e["name"]: e["args"][0] for e in watcher.get_received()}
    assert events["resolution_opened"]["resolution_id"] == resolution
    assert events["assembly_quorum"]["turnout"] in ({str(resolution): 1}, {})
    assert events["resolution_closed"]["verdict"]["for"] == 1
    assert events["resolution_closed"]["verdict"]["adopted"] is False  # 1 of 3: not more than half


def test_a_cesa_applies_and_the_assembly_admits_them(
    app, client, staff, associates, convened, member_api, login
):
    from tests.conftest import csrf_token

    people = associates(2)
    cesa, cesa_headers = member_api(status="employee_entrepreneur", display_name="Nina Caro")
    page_client = login(cesa, c=app.test_client())
    en = {"Accept-Language": "en"}
    profile = page_client.get(f"/members/{cesa.id}", headers=en).get_data(as_text=True)
    assert "Apply to become an associate" in profile
    applied = page_client.post(
        "/me/candidacy",
        data={
            "csrf_token": csrf_token(page_client, f"/members/{cesa.id}"),
            "motivation": "Je crois au projet.",
        },
        headers=en,
        follow_redirects=True,
    )
    assert "Your candidacy is recorded." in applied.get_data(as_text=True)
    again = page_client.post(
        "/me/candidacy",
        data={"csrf_token": csrf_token(page_client, f"/members/{cesa.id}")},
        headers=en,
        follow_redirects=True,
    )
    assert "already under way" in again.get_data(as_text=True)
    staff_page = login(staff[0], c=app.test_client()).get("/assemblies/candidates", headers=en)
    assert "Nina Caro" in staff_page.get_data(as_text=True)

    assembly = convened(starts_at=soon(minutes=20))
    titles = [r["title"] for r in assembly["resolutions"]]
    assert titles[-1] == "Admission of Nina Caro as an associate"
    admission = assembly["resolutions"][-1]["id"]
    _s, staff_headers = staff
    for _m, headers in people:
        client.post(
            f"/api/v1/assemblies/{assembly['id']}/attendance",
            json={"presence": "present"},
            headers=headers,
        )
    client.post(f"/api/v1/resolutions/{admission}/open", headers=staff_headers)
    for _m, headers in people:
        client.put(f"/api/v1/resolutions/{admission}/vote", json={"choice": "for"}, headers=headers)
    verdict = client.post(
        f"/api/v1/resolutions/{admission}/close", headers=staff_headers
    ).get_json()["verdict"]
    assert verdict["adopted"] is True
    me = client.get("/api/v1/me", headers=cesa_headers).get_json()
    assert me["status"] == "associate"


def test_only_cesa_apply(app, member_api, login):
    from tests.conftest import csrf_token

    cape, _h = member_api(status="support_contract")
    c = login(cape, c=app.test_client())
    answer = c.post(
        "/me/candidacy",
        data={"csrf_token": csrf_token(c, "/feed")},
        headers={"Accept-Language": "en"},
        follow_redirects=True,
    )
    assert "Employee-entrepreneurs (CESA) apply" in answer.get_data(as_text=True)


def test_a_proxy_is_voted_by_its_holder_at_the_assembly(client, staff, associates, convened):
    (a, ah), (d, dh) = associates(2)
    assembly = convened(starts_at=soon(minutes=20))
    resolution = assembly["resolutions"][0]["id"]
    base = f"/api/v1/assemblies/{assembly['id']}"
    assert client.post(f"{base}/proxies", json={"holder_id": a.id}, headers=dh).status_code == 201
    assert (
        client.post(f"/api/v1/resolutions/{resolution}/open", headers=staff[1]).status_code == 200
    )
    url = f"/api/v1/resolutions/{resolution}/vote"
    by_proxy = {"choice": "for", "on_behalf_of": d.id}
    refused = client.put(url, json=by_proxy, headers=ah)  # the holder does not attend
    assert refused.status_code == 403
    client.post(f"{base}/attendance", json={"presence": "online"}, headers=ah)
    assert client.put(url, json=by_proxy, headers=ah).status_code == 200


def test_staff_prepare_and_convene_from_the_pages(app, staff, associates, login):
    from tests.conftest import csrf_token

    associates(2)
    c = login(staff[0], c=app.test_client())
    en = {"Accept-Language": "en"}
    assert "Prepare a general assembly" in c.get("/assemblies/new", headers=en).get_data(
        as_text=True
    )
    when = (datetime.now(UTC) + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "kind": "ordinary",
        "title": "",
        "starts_at": when,
        "r0-title": "Comptes",
        "r0-text": "Voir annexe",
        "r0-gerance": "1",
    }
    bad = c.post(
        "/assemblies/new", data={"csrf_token": csrf_token(c, "/assemblies/new"), **data}, headers=en
    )
    assert bad.status_code == 422 and "This field is required." in bad.get_data(as_text=True)
    assert 'value="Comptes"' in bad.get_data(as_text=True)  # nothing typed is lost
    made = c.post(
        "/assemblies/new",
        data={"csrf_token": csrf_token(c, "/assemblies/new"), **data, "title": "AGO 2027"},
        headers=en,
    )
    assert made.status_code == 302
    url = made.headers["Location"]
    convened = c.post(
        f"{url}/convene", data={"csrf_token": csrf_token(c, url)}, headers=en, follow_redirects=True
    )
    assert "The associates are convened." in convened.get_data(as_text=True)
    assert "0 of 2 associates present" in re.sub(r"<[^>]+>", "", convened.get_data(as_text=True))


def test_associates_add_a_draft_resolution_with_enough_signatures(
    app, client, associates, convened
):
    people = associates(40)  # 5 % of 40 associates: 2 signatures
    assembly = convened(starts_at=soon(days=10))  # the window: 15 to 5 days before
    url = f"/api/v1/assemblies/{assembly['id']}/resolutions"
    body = {"title": "Ouvrir un second tiers-lieu", "text": "À Villeurbanne."}
    drafted = client.post(url, json=body, headers=people[0][1])
    assert drafted.status_code == 201 and drafted.get_json()["state"] == "proposed"
    sign = f"/api/v1/resolutions/{drafted.get_json()['id']}/sign"
    assert client.post(sign, headers=people[0][1]).status_code == 409  # signed already
    signed = client.post(sign, headers=people[1][1])
    assert signed.get_json()["state"] == "pending"  # on the agenda now
    assert signed.get_json()["by_gerance"] is False
    assert client.post(sign, headers=people[2][1]).status_code == 409  # no longer a draft
    late = convened(starts_at=soon(days=3))
    assert (
        client.post(
            f"/api/v1/assemblies/{late['id']}/resolutions", json=body, headers=people[0][1]
        ).status_code
        == 409
    )


def test_checking_in_by_the_rooms_code(app, staff, associates, convened, login):
    from tests.conftest import csrf_token

    ((member, _h),) = associates(1)
    assembly = convened()
    chair = login(staff[0], c=app.test_client())
    en = {"Accept-Language": "en"}
    room = chair.get(f"/assemblies/{assembly['id']}/room", headers=en).get_data(as_text=True)
    assert "<svg" in room and "scan" in room
    link = re.search(r'href="(http://[^"]+/here\?code=[^"]+)"', room).group(1)
    path = link.split("localhost", 1)[-1]
    c = login(member, c=app.test_client())
    assert c.get(f"/assemblies/{assembly['id']}/room").status_code == 403  # members don't see it
    wrong = c.post(
        f"/assemblies/{assembly['id']}/here",
        data={"csrf_token": csrf_token(c, "/feed"), "code": "nope"},
        headers=en,
        follow_redirects=True,
    )
    assert "not the room&#39;s" in wrong.get_data(
        as_text=True
    ) or "not the room's" in wrong.get_data(as_text=True)
    page = c.get(path, headers=en)
    assert "I am present" in page.get_data(as_text=True)
    code = re.search(r'name="code" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    here = c.post(
        f"/assemblies/{assembly['id']}/here",
        data={"csrf_token": csrf_token(c, "/feed"), "code": code},
        headers=en,
        follow_redirects=True,
    )
    assert "you are checked in as present" in here.get_data(as_text=True)
    assert "1 of 1 associates present" in re.sub(r"<[^>]+>", "", here.get_data(as_text=True))


def test_assemblies_are_found_in_search_once_convened(
    client, staff, associates, convened, search_index
):
    ((_m, headers),) = associates(1)
    convened(resolutions=agenda(("Affectation des excédents de gestion", "ordinary", False)))
    found = client.get("/api/v1/search?q=excedents", headers=headers).get_json()["results"]
    assert [hit["kind"] for hit in found] == ["assembly"]


def test_a_member_who_is_not_an_associate_does_not_vote(
    client, staff, associates, convened, member_api
):
    associates(1)
    _cesa, cesa_headers = member_api(status="employee_entrepreneur")
    assembly = convened(starts_at=soon(minutes=20))
    resolution = assembly["resolutions"][0]["id"]
    client.post(f"/api/v1/resolutions/{resolution}/open", headers=staff[1])
    refused = client.put(
        f"/api/v1/resolutions/{resolution}/vote", json={"choice": "for"}, headers=cesa_headers
    )
    assert refused.status_code == 403
    assert (
        client.post(
            f"/api/v1/assemblies/{assembly['id']}/attendance",
            json={"presence": "online"},
            headers=cesa_headers,
        ).status_code
        == 422
    )


def test_the_meter_counts_as_the_attendance_sheet(client, staff, associates, convened):
    """Present, online, represented by a holder who attends or by a blank proxy; a proxy to
    a holder who stays away represents no one."""
    people = associates(7)
    (a, ah), (b, bh), (_c, ch), (_d, dh), (e, _eh), (_f, fh), (_g, _gh) = people
    assembly = convened(starts_at=soon(minutes=30))
    base = f"/api/v1/assemblies/{assembly['id']}"
    assert client.post(f"{base}/proxies", json={"holder_id": a.id}, headers=ch).status_code == 201
    assert client.post(f"{base}/proxies", json={"holder_id": e.id}, headers=dh).status_code == 201
    assert client.post(f"{base}/proxies", json={"holder_id": None}, headers=fh).status_code == 201
    client.post(f"{base}/attendance", json={"presence": "online"}, headers=ah)
    answer = client.post(f"{base}/attendance", json={"presence": "present"}, headers=bh)
    meter = answer.get_json()
    assert (meter["present"], meter["online"], meter["represented"], meter["counted"]) == (
        1,
        1,
        2,
        4,
    )
    assert client.get(f"{base}/quorum", headers=ah).get_json() == meter
    sheet = client.get(f"{base}/minutes", headers=staff[1]).get_json()["minutes"]["attendance"]
    statuses = sorted(row["status"] for row in sheet)
    assert statuses == [
        "absent",
        "absent",
        "absent",
        "online",
        "present",
        "represented",
        "represented",
    ]
    assert {row["holder"] for row in sheet if row["status"] == "represented"} == {
        a.display_name,
        None,
    }


def test_the_live_meter_reads_while_a_request_writes(app, associates, convened, connect):
    """The meter is counted after the commit in a task of its own, which takes no writer
    turn: it must read (a plain BEGIN), never wait for SQLite's write lock."""
    import sqlite3

    from network.core.database import write_intent
    from network.governance import live

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        pytest.skip("SQLite's write lock")
    people = associates(2)
    assembly = convened(starts_at=soon(minutes=30))
    watcher = connect(people[0][1])
    watcher.emit("watch_assembly", {"assembly_id": assembly["id"]}, callback=True)
    watcher.get_received()
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    writer = sqlite3.connect(path, timeout=0, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another request, writing
    try:
        with write_intent(True):  # a new task's default: it has declared nothing
            live._in_own_context(app, live._send_quorum, assembly["id"])
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    heard = [e["args"][0] for e in watcher.get_received() if e["name"] == "assembly_quorum"]
    assert heard and heard[-1]["register"] == 2


def test_unchanged_minutes_give_the_same_pdf(client, staff, associates, convened):
    associates(2)
    assembly = convened(starts_at=soon(minutes=30))
    url = f"/api/v1/assemblies/{assembly['id']}/minutes.pdf"
    first = client.get(url, headers=staff[1])
    assert first.status_code == 200 and first.data.startswith(b"%PDF")
    assert client.get(url, headers=staff[1]).data == first.data  # made once
    client.patch(
        f"/api/v1/assemblies/{assembly['id']}", json={"place": "Ailleurs"}, headers=staff[1]
    )
    assert client.get(url, headers=staff[1]).data != first.data  # the minutes changed


def test_signed_minutes_have_their_pdf_made_at_signing(
    app, client, staff, associates, convened, login, monkeypatch
):
    """Signing makes the PDF in the background, in each language, and keeps it: downloads
    then make nothing (in this process or another one: it is on the disk)."""
    from network.governance import pdf, views

    people = associates(2)
    assembly = convened(starts_at=soon(minutes=20))
    _s, staff_headers = staff
    base = f"/api/v1/assemblies/{assembly['id']}"
    resolution = assembly["resolutions"][0]["id"]
    for _m, headers in people:
        client.post(f"{base}/attendance", json={"presence": "present"}, headers=headers)
    client.post(f"/api/v1/resolutions/{resolution}/open", headers=staff_headers)
    for _m, headers in people:
        client.put(
            f"/api/v1/resolutions/{resolution}/vote", json={"choice": "for"}, headers=headers
        )
    client.post(f"/api/v1/resolutions/{resolution}/close", headers=staff_headers)
    assert client.post(f"{base}/close", headers=staff_headers).status_code == 200
    made = []
    real_render = pdf.render
    monkeypatch.setattr(pdf, "render", lambda *a: made.append(a) or real_render(*a))
    assert client.post(f"{base}/minutes/sign", headers=staff_headers).status_code == 200
    views.last_minutes_making.join()
    assert len(made) == len(app.config["LANGUAGES"])  # one per language, at signing
    with app.app_context():
        kept = list(app.extensions["terreau_storage"].list_keys("minutes/"))
    assert len(kept) >= len(made)
    pdf._rendered.clear()  # another process: only the shared storage
    reader = login(people[0][0], c=app.test_client())
    for language in app.config["LANGUAGES"]:
        answer = reader.get(
            f"/assemblies/{assembly['id']}/minutes.pdf", headers={"Accept-Language": language}
        )
        assert answer.status_code == 200 and answer.data.startswith(b"%PDF")
        api = client.get(
            f"{base}/minutes.pdf", headers={**staff_headers, "Accept-Language": language}
        )
        assert api.data == answer.data
    assert len(made) == len(app.config["LANGUAGES"])  # nothing made again


def test_proxies_never_chain(client, associates, convened):
    (a, ah), (b, bh), (c, ch) = associates(3)
    assembly = convened()
    url = f"/api/v1/assemblies/{assembly['id']}/proxies"
    assert client.post(url, json={"holder_id": b.id}, headers=ah).status_code == 201
    assert client.post(url, json={"holder_id": c.id}, headers=bh).status_code == 409  # b holds a's
    assert client.post(url, json={"holder_id": a.id}, headers=ch).status_code == 409  # a gave hers


def test_convocations_are_acknowledged_and_bad_proxy_votes_refused(
    app, client, associates, convened, login
):
    from tests.conftest import csrf_token

    (a, ah), (b, bh) = associates(2)
    assembly = convened(starts_at=soon(minutes=20))
    c = login(a, c=app.test_client())
    url = f"/assemblies/{assembly['id']}/acknowledge"
    done = c.post(
        url,
        data={"csrf_token": csrf_token(c, "/feed")},
        headers={"Accept-Language": "en"},
        follow_redirects=True,
    )
    assert "You have acknowledged your convocation." in done.get_data(as_text=True)
    register = client.get(f"/api/v1/assemblies/{assembly['id']}/register", headers=ah).get_json()[
        "items"
    ]
    assert [bool(row["acknowledged_at"]) for row in register if row["member_id"] == a.id] == [True]
    resolution = assembly["resolutions"][0]["id"]
    for bad in (True, "x", 2**40):
        answer = client.put(
            f"/api/v1/resolutions/{resolution}/vote",
            json={"choice": "for", "on_behalf_of": bad},
            headers=bh,
        )
        assert answer.status_code == 422


def test_the_gerance_admits_where_the_statutes_say_so(app, client, staff, member_api, login):
    from network.cooperative.operations import update_settings
    from network.members.models import Member
    from tests.conftest import csrf_token

    cesa, cesa_headers = member_api(status="employee_entrepreneur")
    c = login(cesa, c=app.test_client())
    en = {"Accept-Language": "en"}
    c.post("/me/candidacy", data={"csrf_token": csrf_token(c, "/feed")}, headers=en)
    withdrawn = c.post(
        "/me/candidacy/withdraw",
        data={"csrf_token": csrf_token(c, "/feed")},
        headers=en,
        follow_redirects=True,
    )
    assert "Your candidacy is withdrawn." in withdrawn.get_data(as_text=True)
    c.post("/me/candidacy", data={"csrf_token": csrf_token(c, "/feed")}, headers=en)
    chair = login(staff[0], c=app.test_client())
    refused = chair.post(
        "/assemblies/candidates/1/admit",
        data={"csrf_token": csrf_token(chair, "/feed")},
        headers=en,
        follow_redirects=True,
    )
    assert "the general assembly admits new associates" in refused.get_data(as_text=True)
    admin, _admin_headers = member_api(role="admin")
    with app.test_request_context():
        update_settings(db.session.get(Member, admin.id), values={"ag_admission_by_gerance": True})
        db.session.commit()
    page = chair.get("/assemblies/candidates", headers=en).get_data(as_text=True)
    admit = re.search(r'action="(/assemblies/candidates/\d+/admit)"', page).group(1)
    admitted = chair.post(
        admit, data={"csrf_token": csrf_token(chair, "/feed")}, headers=en, follow_redirects=True
    )
    assert "The member is now an associate." in admitted.get_data(as_text=True)
    assert client.get("/api/v1/me", headers=cesa_headers).get_json()["status"] == "associate"


def test_the_convocation_is_a_notice_in_the_feed(
    app, client, staff, associates, convened, make_member, login
):
    """Convening puts the convocation in the feed (besides the notification): its date,
    place and agenda, linked to the assembly; a draft assembly never shows there."""
    (associate, associate_headers), _other = associates(2)
    _s, staff_headers = staff
    draft = client.post(
        "/api/v1/assemblies",
        json={
            "kind": "ordinary",
            "title": "Brouillon d'assemblée",
            "starts_at": soon(),
            "resolutions": agenda(("Approbation des comptes", "ordinary", False)),
        },
        headers=staff_headers,
    )
    assert draft.status_code == 201
    assembly = convened(
        resolutions=agenda(
            ("Approbation des comptes", "ordinary", False), ("Affectation", "ordinary", False)
        )
    )
    reader = login(associate, c=app.test_client())
    page = reader.get("/feed", headers={"Accept-Language": "en"}).get_data(as_text=True)
    card = re.search(rf'<article[^>]*id="assembly-{assembly["id"]}".*?</article>', page, re.S)
    assert card, "no convocation in the feed"
    text = re.sub(r"<[^>]+>", "", card.group(0))
    assert "Convocation" in text and "Assemblée générale annuelle" in text
    assert "Salle du conseil, Lyon" in text and "2 resolutions on the agenda" in text
    assert f'href="/assemblies/{assembly["id"]}"' in card.group(0)
    assert "Brouillon d'assemblée" not in page
    only = reader.get("/feed?kind=assembly", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert f'id="assembly-{assembly["id"]}"' in only
    items = client.get("/api/v1/feed?kind=assembly", headers=associate_headers).get_json()["items"]
    assert [i["data"]["assembly"]["id"] for i in items] == [assembly["id"]]
    outsider = login(make_member(status="support_contract"), c=app.test_client())
    seen = outsider.get("/feed", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f'id="assembly-{assembly["id"]}"' in seen  # members see a convened assembly


def test_draft_resolutions_have_a_page_to_propose_and_cosign_them(
    app, client, staff, associates, convened, make_member, login
):
    from tests.conftest import csrf_token

    people = associates(40)  # 5 % of 40 associates: 2 signatures
    assembly = convened(starts_at=soon(days=10))  # the window: 15 to 5 days before
    page_url = f"/assemblies/{assembly['id']}/drafts"
    en = {"Accept-Language": "en"}
    author = login(people[0][0], c=app.test_client())
    empty = author.get(page_url, headers=en).get_data(as_text=True)
    assert "No draft resolution is collecting signatures." in empty
    assert "once 2 associates have signed it" in empty
    refused = author.post(
        page_url, data={"csrf_token": csrf_token(author, page_url), "title": ""}, headers=en
    )
    assert refused.status_code == 422  # nothing saved, the form again
    made = author.post(
        page_url,
        data={
            "csrf_token": csrf_token(author, page_url),
            "title": "Ouvrir un second tiers-lieu",
            "text": "À **Villeurbanne**.",
            "majority": "ordinary",
        },
        headers=en,
        follow_redirects=True,
    )
    text = made.get_data(as_text=True)
    assert "Your draft resolution is added" in text and "Ouvrir un second tiers-lieu" in text
    assert "<strong>Villeurbanne</strong>" in text and "You have signed it" in text
    assert f"Proposed by {people[0][0].display_name}" in text
    assert re.search(r"1 signature\s*/ 2", text)
    draft_id = int(re.search(r'id="draft-(\d+)"', text).group(1))
    other = login(people[1][0], c=app.test_client())
    listed = other.get(page_url, headers=en).get_data(as_text=True)
    assert f"/resolutions/{draft_id}/cosign" in listed
    signed = other.post(
        f"/resolutions/{draft_id}/cosign",
        data={"csrf_token": csrf_token(other, page_url)},
        headers=en,
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "You have co-signed this draft resolution." in signed
    assert "No draft resolution is collecting signatures." in signed  # on the agenda now
    resolutions = client.get(f"/api/v1/assemblies/{assembly['id']}", headers=staff[1]).get_json()
    assert [r["state"] for r in resolutions["resolutions"] if r["id"] == draft_id] == ["pending"]
    outsider = login(make_member(status="employee_entrepreneur"), c=app.test_client())
    seen = outsider.get(page_url, headers=en).get_data(as_text=True)
    assert "Propose a draft resolution" not in seen  # not on the register
    again = other.post(
        f"/resolutions/{draft_id}/cosign",
        data={"csrf_token": csrf_token(other, page_url)},
        headers=en,
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "not a draft collecting signatures" in again
