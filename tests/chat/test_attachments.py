"""Images attached to a message: stored like the feed's (re-encoded, metadata dropped),
served only to those who may read the channel, gone with the message."""

import io

from PIL import Image

from network.core.images import uploads_dir
from tests.chat.conftest import new_client_id
from tests.conftest import form_post


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buffer, "PNG")
    return buffer.getvalue()


def _stored(app) -> set:
    with app.app_context():
        folder = uploads_dir() / "chat"
        return set(folder.iterdir()) if folder.exists() else set()


def _send(client, headers, channel_id, files, body=""):
    return client.post(
        f"/api/v1/channels/{channel_id}/messages",
        data={"body": body, "client_id": new_client_id(), "images": files},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_an_image_is_served_to_the_channels_readers_only(client, member_api, make_channel):
    _alice, alice = member_api()
    bob, bob_headers = member_api()
    _eve, eve = member_api()
    channel = make_channel(alice, "Photos", kind="private", member_ids=[bob.id])
    sent = _send(client, alice, channel["id"], [(io.BytesIO(_png()), "a.png")])
    assert sent.status_code == 201, sent.get_json()
    message = sent.get_json()
    assert message["body"] == "" and len(message["images"]) == 1
    url = message["images"][0]
    shown = client.get(url, headers=bob_headers)
    assert shown.status_code == 200 and shown.mimetype == "image/webp"
    assert "private" in shown.headers["Cache-Control"]
    assert client.get(url, headers=eve).status_code == 404  # not in the channel
    assert client.get(url[:-1] + "1", headers=bob_headers).status_code == 404
    history = client.get(f"/api/v1/channels/{channel['id']}/messages", headers=bob_headers)
    assert history.get_json()["items"][0]["images"] == [url]


def test_the_files_are_not_served_by_the_public_uploads_route(
    app, client, member_api, make_channel, login
):
    alice_member, alice = member_api()
    channel = make_channel(alice, "Photos")
    before = _stored(app)
    _send(client, alice, channel["id"], [(io.BytesIO(_png()), "a.png")])
    (stored,) = _stored(app) - before
    login(alice_member)
    assert client.get(f"/uploads/chat/{stored.name}").status_code == 404


def test_bad_images_are_refused_clearly(client, member_api, make_channel):
    _alice, alice = member_api()
    channel = make_channel(alice, "Photos")
    five = [(io.BytesIO(_png()), f"{n}.png") for n in range(5)]
    too_many = _send(client, alice, channel["id"], five, body="Cinq")
    assert too_many.status_code == 422 and "images" in too_many.get_json()["errors"]
    not_image = _send(client, alice, channel["id"], [(io.BytesIO(b"<svg/>"), "x.svg")])
    assert not_image.status_code == 422
    assert "PNG, JPEG" in not_image.get_json()["errors"]["images"]
    nothing = _send(client, alice, channel["id"], [])
    assert nothing.status_code == 422 and "body" in nothing.get_json()["errors"]
    history = client.get(f"/api/v1/channels/{channel['id']}/messages", headers=alice)
    assert history.get_json()["items"] == []


def test_the_page_form_attaches_images_and_deleting_removes_them(
    app, client, member_api, make_channel, login
):
    alice, alice_headers = member_api()
    channel = make_channel(alice_headers, "Photos")
    login(alice)
    page_url = f"/chat/{channel['id']}"
    assert 'enctype="multipart/form-data"' in client.get(page_url).get_data(as_text=True)
    before = _stored(app)
    posted = form_post(
        client,
        f"{page_url}/messages",
        {"body": "Le chantier", "client_id": "page-1", "images": (io.BytesIO(_png()), "c.png")},
        page=page_url,
        content_type="multipart/form-data",
    )
    assert posted.status_code == 302
    page = client.get(page_url).get_data(as_text=True)
    assert 'class="chat-images"' in page
    (message,) = client.get(
        f"/api/v1/channels/{channel['id']}/messages", headers=alice_headers
    ).get_json()["items"]
    assert (
        client.delete(f"/api/v1/messages/{message['id']}", headers=alice_headers).status_code == 204
    )
    assert client.get(message["images"][0], headers=alice_headers).status_code == 404
    assert _stored(app) == before  # the file is removed with the message
