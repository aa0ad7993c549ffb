import io

from PIL import Image

from tests.conftest import form_post

EN = {"Accept-Language": "en"}
BASE = {
    "display_name": "Camille Martin",
    "headline": "",
    "bio": "",
    "trading_name": "",
    "trade": "",
    "sector": "",
    "website": "",
    "city": "",
    "postcode": "",
    "languages": "",
    "links": "",
}


def _save(client, data=None, files=None, **kwargs):
    payload = {**BASE, **(data or {})}
    if files:
        payload.update(files)
    return form_post(
        client,
        "/me/profile",
        payload,
        page="/me/profile",
        content_type="multipart/form-data",
        headers=EN,
        **kwargs,
    )


def _png(width=40, height=30, fmt="PNG", **save_args) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 40)).save(buffer, fmt, **save_args)
    buffer.seek(0)
    return buffer


def test_member_edits_the_profile_and_others_see_it(app, client, login, make_member):
    member = make_member()
    login(member)
    response = _save(
        client,
        {
            "headline": "Graphiste engagée",
            "trade": "Graphiste",
            "trading_name": "Atelier Martin",
            "city": "Lyon",
            "postcode": "69003",
            "languages": "français, anglais",
            "links": "https://example.org/portfolio",
            "website": "https://atelier.example.org",
            "open_to": ["collaboration", "coffee"],
            "bio": "Je fais **des affiches**.",
        },
    )
    assert response.status_code == 302
    other = login(make_member(), c=app.test_client())
    page = other.get(f"/members/{member.id}", headers=EN).get_data(as_text=True)
    for text in (
        "Graphiste engagée",
        "Atelier Martin",
        "Lyon",
        "69003",
        "français, anglais",
        "https://example.org/portfolio",
        "<strong>des affiches</strong>",
        "A coffee",
    ):
        assert text in page


def test_staff_only_fields_are_hidden_from_other_members(app, client, login, make_member):
    member = make_member()
    login(member)
    _save(
        client,
        {"city": "Grenoble", "postcode": "38000", "vis_location": "staff", "trade": "Menuisier"},
    )
    other = login(make_member(), c=app.test_client())
    page = other.get(f"/members/{member.id}").get_data(as_text=True)
    assert "Grenoble" not in page and "Menuisier" in page
    api = other.get(f"/api/v1/members/{member.id}").get_json()
    assert "city" not in api and "postcode" not in api and api["trade"] == "Menuisier"
    listed = other.get("/api/v1/members?city=grenoble").get_json()
    assert listed["items"] == []
    staff = login(make_member(role="staff"), c=app.test_client())
    assert "Grenoble" in staff.get(f"/members/{member.id}").get_data(as_text=True)
    assert staff.get("/api/v1/members?city=grenoble").get_json()["items"][0]["id"] == member.id
    assert "Grenoble" in client.get(f"/members/{member.id}").get_data(as_text=True)  # own


def test_markdown_bio_is_stored_as_text_and_rendered_harmless(app, client, login, make_member):
    member = make_member()
    login(member)
    bio = (
        "<script>alert(1)</script> [click](javascript:alert(2)) "
        '<img src=x onerror="alert(3)"> <a href="https://ok.example" onclick="x()">ok</a>'
    )
    assert _save(client, {"bio": bio}).status_code == 302
    me = client.get("/api/v1/me").get_json()
    assert me["bio"] == bio
    html = me["bio_html"]
    for bad in ("<script", "javascript:", "onerror", "onclick", "<img"):
        assert bad not in html
    assert 'href="https://ok.example"' in html
    page = client.get(f"/members/{member.id}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "onerror=" not in page


def test_invalid_fields_are_reported_and_nothing_is_lost(client, login, make_member):
    member = make_member(headline="Avant")
    login(member)
    response = _save(
        client,
        {
            "headline": "x" * 141,
            "website": "javascript:alert(1)",
            "postcode": "<b>",
            "trade": "Céramiste",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "At most 140 characters." in page
    assert "Enter a full web address starting with https://." in page
    assert "Enter a postcode such as 69003." in page
    assert 'value="Céramiste"' in page  # what was typed is still in the form
    me = client.get("/api/v1/me").get_json()
    assert me["headline"] == "Avant" and me["trade"] == ""


def test_avatar_is_re_encoded_without_metadata_and_served_safely(client, login, make_member):
    member = make_member()
    login(member)
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"
    photo = _png(800, 600, "JPEG", exif=exif.tobytes())
    assert _save(client, files={"avatar": (photo, "me.jpg")}).status_code == 302
    me = client.get("/api/v1/me").get_json()
    assert me["avatar_url"].endswith("-thumb.webp")
    served = client.get(me["avatar_full_url"])
    assert served.status_code == 200
    assert served.mimetype == "image/webp"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert b"SecretCameraMaker" not in served.data
    assert Image.open(io.BytesIO(served.data)).size == (512, 384)
    thumb = Image.open(io.BytesIO(client.get(me["avatar_url"]).data))
    assert thumb.size == (128, 128)
    anonymous = client.application.test_client()
    assert anonymous.get(me["avatar_url"]).status_code == 302


def test_fake_and_oversized_images_are_refused(client, login, make_member):
    member = make_member()
    login(member)
    html = io.BytesIO(b"<html><script>alert(1)</script></html>")
    svg = io.BytesIO(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>')
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    gif.seek(0)
    for upload, name in ((html, "x.png"), (svg, "x.svg"), (gif, "x.gif")):
        response = _save(client, {"headline": "kept"}, files={"avatar": (upload, name)})
        assert response.status_code == 422
        assert "This file is not an image we accept" in response.get_data(as_text=True)
    assert client.get("/api/v1/me").get_json()["avatar_url"] is None


def test_a_tiny_png_declaring_huge_dimensions_is_refused(client, login, make_member):
    import struct
    import zlib

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 50000, 50000, 8, 2, 0, 0, 0)
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 100))
        + chunk(b"IEND", b"")
    )
    login(make_member())
    response = _save(client, files={"avatar": (io.BytesIO(bomb), "bomb.png")})
    assert response.status_code == 422
    assert "too large" in response.get_data(as_text=True)


def test_an_upload_over_the_size_limit_is_a_clear_413(app, client, login, make_member):
    login(make_member())
    app.config["MAX_CONTENT_LENGTH"] = 50_000
    try:
        response = _save(client, files={"avatar": (io.BytesIO(b"0" * 60_000), "big.png")})
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 8 * 1024 * 1024
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_profile_language_choice_changes_the_interface(client, login, make_member):
    login(make_member())
    form_post(client, "/language", {"locale": "en", "next": "/members"}, page="/me/settings")
    assert '<html lang="en">' in client.get("/members").get_data(as_text=True)
    assert client.get("/api/v1/me").get_json()["locale"] == "en"
    form_post(client, "/language", {"locale": "fr"}, page="/me/settings")
    assert '<html lang="fr">' in client.get("/members").get_data(as_text=True)


def test_unknown_language_is_refused(client, login, make_member):
    login(make_member())
    response = form_post(client, "/language", {"locale": "xx"}, page="/me/settings")
    assert response.status_code == 400
