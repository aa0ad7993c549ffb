"""Bad input anywhere in the workspaces answers a 4xx, never a 500 (a sweep of the
pages, forms, API bodies and calendar tokens that once crashed)."""

from tests.conftest import form_post
from tests.workspaces.conftest import at, next_weekday

INF = float("inf")


def test_bad_input_never_answers_500(app, client, staff, member_api, make_space, login):
    sid = make_space()
    member, headers = member_api()
    s_headers = staff[1]
    day = next_weekday(1)
    start, end = at(day, 10), at(day, 11)
    bad = []

    def chk(r, what):
        if r.status_code >= 500:
            bad.append((what, r.status_code))

    # API GETs
    for q in [
        "from=9999-12-31",
        "from=0001-01-01",
        "to=0001-01-01",
        "from=0001-01-01T00:00+14:00",
        "from=9999-12-31T23:59-12:00",
        "from=x",
        "to=[]",
        "from=2026-01-01&to=9999-12-31",
        "from=%C2%B2%C2%B2",
        "from=2026-13-01",
    ]:
        chk(client.get(f"/api/v1/spaces/{sid}/availability?{q}", headers=headers), "avail " + q)
        chk(client.get(f"/api/v1/bookings?{q}", headers=headers), "bookings " + q)
    for q in ["site_id=%C2%B2", "site_id=99999999999", "kind=x", "site_id=-1"]:
        chk(client.get(f"/api/v1/spaces?{q}", headers=headers), "spaces " + q)
    for q in [
        "space_id=%C2%B2",
        "space_id=99999999999999",
        "limit=x",
        "limit=99999999999999999999",
        "cursor=xx",
        "cursor=WyJ4IiwxXQ",
    ]:
        chk(client.get(f"/api/v1/bookings?{q}", headers=headers), "bookings " + q)
    # POST bookings
    bodies = (
        [
            {"space_id": sid, "start": start, "end": end, "seats": s}
            for s in ["x", "2", [], {}, 10**30, -5, 1.5, True, INF, "²", "9" * 5000]
        ]
        + [
            {"space_id": v, "start": start, "end": end}
            for v in ["²", 10**30, -1, [1], {}, 1.0, True, "99999999999"]
        ]
        + [
            {"space_id": sid, "start": v, "end": end}
            for v in [
                [],
                {},
                1,
                "9999-12-31T23:30",
                "0001-01-01T00:00",
                "0001-01-01T00:00+14:00",
                "9999-12-31T23:30-12:00",
            ]
        ]
        + [
            {"space_id": sid, "start": start, "end": end, "recurrence": r}
            for r in [
                "weekly",
                [],
                1,
                {"freq": []},
                {"freq": "weekly", "days": "mon", "count": 2},
                {"freq": "weekly", "days": {"a": 1}, "count": 2},
                {"freq": "weekly", "days": [[1]], "count": 2},
                {"freq": "daily", "count": "3"},
                {"freq": "daily", "count": INF},
                {"freq": "daily", "until": []},
                {"freq": "daily", "until": "9999-12-31"},
                {"freq": "weekly", "days": [1], "until": "9999-12-31"},
                {"freq": "daily", "count": 10**30},
                {"freq": {"a": 1}, "count": 1},
            ]
        ]
        + [
            {"space_id": sid, "start": start, "end": end, "member_id": v}
            for v in ["²", 10**30, [1], {}, "99999999999", -3]
        ]
        + [{"space_id": sid, "start": start, "end": end, "title": v} for v in [[1], {"a": 1}, 5]]
        + [
            {"space_id": sid, "start": start, "end": end, "preview": True, "recurrence": "x"},
            {"space_id": sid, "start": start, "end": end, "on_conflict": []},
        ]
    )
    for b in bodies:
        for h in (headers, s_headers):
            chk(client.post("/api/v1/bookings", json=b, headers=h), "book " + repr(b)[:150])
    for raw in [
        "[1]",
        "1",
        "null",
        '"x"',
        "{",
        '{"space_id": NaN}',
        f'{{"seats": Infinity, "space_id": {sid}, "start": "{start}", "end": "{end}"}}',
    ]:
        chk(
            client.post(
                "/api/v1/bookings",
                data=raw,
                headers={**headers, "Content-Type": "application/json"},
            ),
            "raw " + raw,
        )
    # waitlist
    for b in [
        {"start": [], "end": end},
        {"start": start, "end": end, "seats": INF},
        {"start": start, "end": end, "seats": "²"},
    ]:
        chk(
            client.post(f"/api/v1/spaces/{sid}/waitlist", json=b, headers=headers),
            "wait " + repr(b),
        )
    # spaces create/patch
    sbodies = [
        {"kind": []},
        {"granularity": []},
        {"kind": {}},
        {"site_id": 10**30},
        {"site_id": "99999999999"},
        {"site_id": []},
        {"capacity": INF},
        {"slot_minutes": INF},
        {"capacity": "9" * 5000},
        {"opening_hours": {"0": {"a": 1}}},
        {"opening_hours": {"0": [INF, 2]}},
        {"opening_hours": []},
        {"opening_hours": {"0": "ab:cd-ef"}},
        {"opening_hours": {"0": 5}},
        {"opening_hours": {"0": [1]}},
        {"equipment": 5},
        {"name": []},
        {"needs_approval": []},
        {"description": {}},
    ]
    for b in sbodies:
        chk(client.patch(f"/api/v1/spaces/{sid}", json=b, headers=s_headers), "patch " + repr(b))
        chk(
            client.post(
                "/api/v1/spaces",
                json={"name": "n", "kind": "meeting_room", "site_id": 1, "capacity": 1, **b},
                headers=s_headers,
            ),
            "create " + repr(b),
        )
    # delete scopes
    r = client.post(
        "/api/v1/bookings",
        json={"space_id": sid, "start": at(next_weekday(2), 15), "end": at(next_weekday(2), 16)},
        headers=headers,
    )
    assert r.status_code == 201, r.get_json()
    bid = r.get_json()["bookings"][0]["id"]
    for q in [
        "scope=x",
        "scope=range&from=x",
        "scope=range&from=9999-12-31",
        "scope=range&from=0001-01-01&to=9999-12-31",
    ]:
        chk(client.delete(f"/api/v1/bookings/{bid}?{q}", headers=headers), "delete " + q)
    # calendar tokens
    for t in [
        "x",
        "1-1-x",
        "²-1-x",
        "99999999999999-1-x",
        "1-²-x",
        "1-99999999999999999999-x",
        "-",
        "1-1-" + "a" * 200,
    ]:
        chk(client.get(f"/workspaces/calendar/{t}.ics"), "cal " + t)
    # pages
    login(staff[0])
    for p in [
        "/workspaces?date=x",
        "/workspaces?date=9999-12-31",
        "/workspaces?date=0001-01-01",
        "/workspaces?site=%C2%B2",
        f"/workspaces/spaces/{sid}?week=9999-12-31",
        f"/workspaces/spaces/{sid}?week=0001-01-01",
        f"/workspaces/spaces/{sid}?week=x",
        "/workspaces/bookings?date=x",
        "/workspaces/bookings?from=x&to=y",
        "/workspaces/bookings?page=x",
        f"/workspaces/spaces/{sid}/book?start=x&end=y",
        "/workspaces/bookings?week=9999-12-31",
        "/workspaces/bookings?date=9999-12-31",
    ]:
        chk(client.get(p), "page " + p)
    forms = [
        (f"/workspaces/spaces/{sid}/book", {"start": start, "end": end, "seats": "x"}),
        (
            f"/workspaces/spaces/{sid}/book",
            {
                "start": start,
                "end": end,
                "repeat": "weekly",
                "days": ["²", "9", "x"],
                "count": "2",
                "confirm": "1",
            },
        ),
        (
            f"/workspaces/spaces/{sid}/book",
            {"start": start, "end": end, "repeat": "weekly", "count": "²", "confirm": "1"},
        ),
        (f"/workspaces/spaces/{sid}/book", {"start": start, "end": end, "repeat": "x"}),
        (f"/workspaces/spaces/{sid}/book", {"start": start, "end": end, "member_id": "²"}),
        (f"/workspaces/spaces/{sid}/book", {}),
        (f"/workspaces/spaces/{sid}/waitlist", {}),
        (f"/workspaces/spaces/{sid}/waitlist", {"start": start, "end": end, "seats": "²"}),
        (f"/workspaces/manage/spaces/{sid}/closures", {"starts_on": "9999-12-31"}),
        (f"/workspaces/manage/spaces/{sid}/closures", {"starts_on": "0001-01-01"}),
        (f"/workspaces/manage/spaces/{sid}/closures", {"starts_on": "x"}),
        (f"/workspaces/manage/spaces/{sid}/closures", {}),
        (
            f"/workspaces/manage/spaces/{sid}",
            {"site_id": "²", "capacity": "²", "hours_0": "²²:00-19:00"},
        ),
        (f"/workspaces/manage/spaces/{sid}", {}),
        ("/workspaces/manage/spaces/new", {"site_id": "99999999999"}),
        ("/workspaces/manage/sites", {}),
        (f"/workspaces/bookings/{bid}/cancel", {"scope": "range", "from": "9999-12-31"}),
        (f"/workspaces/bookings/{bid}/decide", {}),
        ("/workspaces/preferences", {}),
    ]
    for path, data in forms:
        chk(form_post(client, path, data, page="/workspaces"), "form " + path + repr(data))
    assert not bad, "\n".join(map(repr, bad))
    # a name that is not text is refused, not stored as "[]"
    r = client.patch(f"/api/v1/spaces/{sid}", json={"name": []}, headers=s_headers)
    assert r.status_code == 422 and "name" in r.get_json()["errors"]
