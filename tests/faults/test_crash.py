"""`kill -9` of a server during a burst of posts, chat messages and bookings: after the
restart every write a client saw acknowledged is there, whole; none is there twice: every
message, post and booking left unanswered by the crash is sent again with its client id, as a
client should, and is then there exactly once (whether or not the dead server had saved it);
the server starts again on the same files or database without any repair, and takes writes
at once."""

import threading
import time as clock
from collections import Counter
from datetime import datetime, time, timedelta

import pytest
import requests

from tests.conftest import paris_today
from tests.faults.conftest import api_headers, make_env

MEMBERS = 4
KILL_AFTER = 36  # acknowledged writes before the kill (within the per-member rate limits)
SLOTS_PER_DAY = 40  # half-hour slots from midnight


@pytest.fixture(params=["sqlite", "postgresql"])
def environment(request, tmp_path):
    if request.param == "sqlite":
        return make_env(tmp_path, members=MEMBERS)
    cluster = request.getfixturevalue("postgres_cluster")
    return make_env(tmp_path, database_url=cluster.new_database(), members=MEMBERS)


def slot(n):
    """The n-th half-hour of the burst, from the day after tomorrow (naive local time)."""
    day = paris_today() + timedelta(days=2 + n // SLOTS_PER_DAY)
    start = datetime.combine(day, time()) + timedelta(minutes=30 * (n % SLOTS_PER_DAY))
    return start.isoformat(), (start + timedelta(minutes=30)).isoformat()


class Burst:
    """Writers, one thread per member, cycling through a message, a post and a booking until
    the server is gone; what each acknowledged (201) and what was in flight when it died."""

    def __init__(self, url, people, space_id):
        self.url, self.people, self.space_id = url, people, space_id
        self.messages, self.posts, self.bookings = {}, {}, {}  # acknowledged
        self.in_flight = []  # (member, client id, body) of messages never answered
        self.posts_in_flight = []  # (member, client id, body) of posts never answered
        self.bookings_in_flight = []  # (member, client id, start, end) never answered
        self.slots = iter(range(100_000))
        self.lock = threading.Lock()

    def acknowledged(self):
        return len(self.messages) + len(self.posts) + len(self.bookings)

    def run(self, member):
        session = requests.Session()
        headers, channel_id = self.people[member]
        for n in range(1_000):
            try:
                self._write(session, member, headers, channel_id, n)
            except requests.RequestException:
                return  # the server died under this write

    def _write(self, session, member, headers, channel_id, n):
        kind = n % 3
        if kind == 0:
            client_id, body = f"m{member}n{n}", f"Message {n} de {member}"
            self.in_flight.append((member, client_id, body))
            answer = session.post(
                f"{self.url}/api/v1/channels/{channel_id}/messages",
                json={"body": body, "client_id": client_id},
                headers=headers,
                timeout=10,
            )
            self.in_flight.remove((member, client_id, body))
            if answer.status_code == 201:
                self.messages[answer.json()["id"]] = (channel_id, client_id, body)
        elif kind == 1:
            client_id, body = f"p{member}n{n}", f"Nouvelle {n} de l'atelier {member}"
            self.posts_in_flight.append((member, client_id, body))
            answer = session.post(
                f"{self.url}/api/v1/posts",
                json={"body": body, "client_id": client_id},
                headers=headers,
                timeout=10,
            )
            self.posts_in_flight.remove((member, client_id, body))
            if answer.status_code == 201:
                self.posts[answer.json()["id"]] = body
        else:
            with self.lock:
                start, end = slot(next(self.slots))
            client_id = f"b{member}n{n}"
            self.bookings_in_flight.append((member, client_id, start, end))
            answer = session.post(
                f"{self.url}/api/v1/bookings",
                json={
                    "space_id": self.space_id,
                    "start": start,
                    "end": end,
                    "client_id": client_id,
                },
                headers=headers,
                timeout=10,
            )
            self.bookings_in_flight.remove((member, client_id, start, end))
            if answer.status_code == 201:
                (booking,) = answer.json()["bookings"]
                self.bookings[booking["id"]] = (member, start)

    def send_again(self, url, people):
        """After the restart, what the crash left unanswered, with the same client ids: each
        answered 201 (not saved before the crash) or 200 (saved: the first one is given)."""
        for member, client_id, body in self.posts_in_flight:
            again = requests.post(
                f"{url}/api/v1/posts",
                json={"body": body, "client_id": client_id},
                headers=people[member][0],
                timeout=10,
            )
            assert again.status_code in (200, 201), again.text
            assert again.json()["body"] == body
            self.posts[again.json()["id"]] = body
        for member, client_id, start, end in self.bookings_in_flight:
            again = requests.post(
                f"{url}/api/v1/bookings",
                json={
                    "space_id": self.space_id,
                    "start": start,
                    "end": end,
                    "client_id": client_id,
                },
                headers=people[member][0],
                timeout=10,
            )
            assert again.status_code in (200, 201), again.text
            (booking,) = again.json()["bookings"]
            assert booking["start"].startswith(start)
            self.bookings[booking["id"]] = (member, start)


def test_acknowledged_writes_survive_a_kill_9(environment, servers):
    env, seed = environment
    process, url = servers.start(env)
    people = []
    for email in seed["emails"]:
        headers = api_headers(url, email)
        channel = requests.post(
            f"{url}/api/v1/channels", json={"name": f"Salon {email}"}, headers=headers, timeout=10
        )
        assert channel.status_code == 201, channel.text
        people.append((headers, channel.json()["id"]))
    burst = Burst(url, people, seed["space_id"])
    writers = [threading.Thread(target=burst.run, args=(m,)) for m in range(MEMBERS)]
    for writer in writers:
        writer.start()
    deadline = clock.monotonic() + 60
    while burst.acknowledged() < KILL_AFTER and clock.monotonic() < deadline:
        clock.sleep(0.02)
    servers.kill(process)  # the writers are still writing
    for writer in writers:
        writer.join(timeout=30)
    assert burst.acknowledged() >= KILL_AFTER, "the burst was too slow to reach the kill"

    _process, url = servers.start(env)  # no repair: the same files or database
    people = [(api_headers(url, email), channel) for email, (_h, channel) in zip(
        seed["emails"], people, strict=True)]  # fmt: skip
    for member, client_id, body in burst.in_flight:  # the client sends again, as it should
        headers, channel_id = people[member]
        again = requests.post(
            f"{url}/api/v1/channels/{channel_id}/messages",
            json={"body": body, "client_id": client_id},
            headers=headers,
            timeout=10,
        )
        assert again.status_code in (200, 201), again.text  # 200: it had been saved
    burst.send_again(url, people)  # the posts and bookings left unanswered, the same way
    assert_messages(url, people, burst)
    assert_posts(url, people, burst)
    assert_bookings(url, people, burst)
    headers, channel_id = people[0]
    after = requests.post(
        f"{url}/api/v1/channels/{channel_id}/messages",
        json={"body": "Après le redémarrage", "client_id": "after-restart"},
        headers=headers,
        timeout=10,
    )
    assert after.status_code == 201


def assert_messages(url, people, burst):
    stored = {}
    for headers, channel_id in people:
        page = requests.get(
            f"{url}/api/v1/channels/{channel_id}/messages?limit=200", headers=headers, timeout=10
        )
        assert page.status_code == 200
        for message in page.json()["items"]:
            stored.setdefault(message["id"], (channel_id, message["client_id"], message["body"]))
    for message_id, sent in burst.messages.items():
        assert stored.get(message_id) == sent  # present, whole, in its channel
    repeated = Counter(client_id for _c, client_id, _b in stored.values())
    assert max(repeated.values()) == 1
    for _member, client_id, _body in burst.in_flight:
        assert repeated[client_id] == 1  # sent again after the crash: there once


def assert_posts(url, people, burst):
    headers, _channel = people[0]
    for post_id, body in burst.posts.items():
        post = requests.get(f"{url}/api/v1/posts/{post_id}", headers=headers, timeout=10)
        assert post.status_code == 200 and post.json()["body"] == body
    bodies, before = [], None
    while True:
        params = {"limit": 50, **({"before": before} if before else {})}
        page = requests.get(f"{url}/api/v1/feed", params=params, headers=headers, timeout=10)
        assert page.status_code == 200
        entries = page.json()
        bodies += [e["data"].get("body") for e in entries["items"] if e["kind"] == "post"]
        before = entries["next"]
        if not before:
            break
    assert set(burst.posts.values()) <= set(bodies)
    assert max(Counter(bodies).values()) == 1
    for _member, _client_id, body in burst.posts_in_flight:
        assert Counter(bodies)[body] == 1  # sent again after the crash: there once


def assert_bookings(url, people, burst):
    starts = []
    for member, (headers, _channel) in enumerate(people):
        mine = requests.get(f"{url}/api/v1/bookings?limit=200", headers=headers, timeout=10)
        assert mine.status_code == 200
        found = {b["id"]: b["start"] for b in mine.json()["items"]}
        for booking_id, (owner, start) in burst.bookings.items():
            if owner == member:
                assert found.get(booking_id, "").startswith(start)
        starts += found.values()
    assert max(Counter(starts).values()) == 1  # capacity 1: never the same slot twice
    for _member, _client_id, start, _end in burst.bookings_in_flight:
        assert sum(s.startswith(start) for s in starts) == 1  # sent again: booked once
