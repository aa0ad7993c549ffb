"""Simulated members of the cooperative (issue 16), driven by bench/load_bench.py.

Each simulated member takes one load account (`LOAD_DATA`: the load.json written by the
bench's seed), signs in through the login form (session cookie for the pages, CSRF token
from the page's meta tag), uses its API token for the API, and keeps one Socket.IO
connection (python-socketio, websocket transport, authenticated with the token) in which it
joins its channel and sends messages, waiting for the server's acknowledgement.

The mix (task weights) is a member's day compressed: mostly reading the feed, the directory
and profiles, the chat; now and then posting, commenting, reacting, chatting, booking a desk
and searching; a think time of 2 to 8 s between actions. A 409 to a booking (the desk area
is full that half-day: the answer lists the nearest free slots) is an expected answer, not
an error; so is a 429 to a post (the hourly limit), which never happens at this mix.
"""

import itertools
import json
import os
import random
import re
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import socketio
from locust import FastHttpUser, between, events, task

DATA = json.loads(Path(os.environ["LOAD_DATA"]).read_text(encoding="utf-8"))
ACCOUNTS = itertools.cycle(DATA["accounts"])
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
NEXT = re.compile(r'href="[^"]*\?before=([^"&]+)')
QUERIES = (
    "martin",
    "graphiste",
    "compta",
    "lyon",
    "atelier",
    "menuisier",
    "formation",
    "photo",
    "devis",
    "coworking",
    "marie",
    "traduction",
)
POSTS = (
    "Quelqu'un pour un café au plateau cet après-midi ? #convivialité",
    "Je cherche un·e **photographe** pour un reportage à Villeurbanne.",
    "Merci à celles et ceux venus à l'atelier compta ! #compta",
    "Nouvelle offre lancée aujourd'hui, vos retours sont les bienvenus.",
)
MESSAGES = (
    "Bonjour !",
    "Je suis au plateau demain.",
    "Merci 👍",
    "On mange ensemble ?",
    "Le devis est parti.",
    "Quelqu'un a le code du wifi ?",
)
SOCKET_WAIT = 10.0


def _workdays(count: int) -> list[date]:
    days, day = [], datetime.now(UTC).date() + timedelta(days=1)
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


DAYS = _workdays(20)


class Member(FastHttpUser):
    wait_time = between(2, 8)

    def on_start(self) -> None:
        self.account = next(ACCOUNTS)
        # nginx balances on this header in the bench (one load generator, one address)
        self.headers = {"X-Load-Member": str(self.account["id"])}
        self.api = {**self.headers, "Authorization": f"Bearer {self.account['token']}"}
        self.csrf = ""
        self.sio: socketio.Client | None = None
        self.sign_in()
        self.connect()

    def on_stop(self) -> None:
        if self.sio is not None:
            self.sio.disconnect()

    # --- sessions ---

    def sign_in(self) -> None:
        with self.client.get(
            "/login", name="/login", headers=self.headers, catch_response=True
        ) as page:
            self.csrf = _csrf(page.text) or ""
        form = {
            "csrf_token": self.csrf,
            "email": self.account["email"],
            "password": DATA["password"],
        }
        with self.client.post(
            "/login",
            data=form,
            name="/login",
            headers={**self.headers, "Referer": f"{self.host}/login"},
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code != 302:
                answer.failure(f"sign-in answered {answer.status_code}")
        self.page("/feed", "/feed")  # lands on the feed, which gives the session's CSRF token

    def connect(self) -> None:
        """The chat's Socket.IO connection, joined to the account's channel."""
        started = time.perf_counter()
        error = None
        try:
            self.sio = socketio.Client(reconnection=False, ssl_verify=False)
            self.sio.connect(
                self.host,
                transports=["websocket"],
                auth={"token": self.account["token"]},
                headers=self.headers,
                wait_timeout=SOCKET_WAIT,
            )
            answer = self.sio.call(
                "join", {"channel_id": self.account["channel"]}, timeout=SOCKET_WAIT
            )
            if not answer or not answer.get("ok"):
                error = RuntimeError(f"join: {answer}")
        except Exception as exc:  # noqa: BLE001 - reported to locust as a failure
            error, self.sio = exc, None
        _fire("WS", "socket connect+join", started, error)

    def page(self, path: str, name: str) -> str:
        with self.client.get(
            path, name=name, headers=self.headers, allow_redirects=False, catch_response=True
        ) as answer:
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code}")
                return ""
            token = _csrf(answer.text)
            if token:
                self.csrf = token
            return answer.text or ""

    def api_get(self, path: str, name: str) -> None:
        self.client.get(path, name=name, headers=self.api)

    # --- reading ---

    @task(20)
    def feed(self) -> None:
        body = self.page("/feed", "/feed")
        if random.random() < 0.25:  # scrolls down one page
            found = NEXT.search(body)
            if found:
                self.page(f"/feed?before={found.group(1)}", "/feed?before=")

    @task(4)
    def feed_api(self) -> None:
        self.api_get("/api/v1/feed", "/api/v1/feed")

    @task(4)
    def notifications(self) -> None:
        self.page("/notifications", "/notifications")

    @task(8)
    def directory(self) -> None:
        if random.random() < 0.5:
            self.page("/members", "/members")
        else:
            self.page(f"/members?q={random.choice(QUERIES)}", "/members?q=")

    @task(8)
    def profile(self) -> None:
        self.page(f"/members/{random.choice(DATA['profiles'])}", "/members/[id]")

    @task(2)
    def directory_api(self) -> None:
        self.api_get("/api/v1/members?limit=30", "/api/v1/members")

    @task(6)
    def chat_page(self) -> None:
        self.page(f"/chat/{self.account['channel']}", "/chat/[id]")

    # --- writing ---

    @task(2)
    def post(self) -> None:
        form = {"csrf_token": self.csrf, "body": random.choice(POSTS)}
        with self.client.post(
            "/feed/posts",
            data=form,
            name="/feed/posts",
            headers={**self.headers, "Referer": f"{self.host}/feed"},
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code not in (302, 303):
                answer.failure(f"{answer.status_code}")

    @task(3)
    def comment(self) -> None:
        post_id = random.choice(DATA["posts"])
        self.client.post(
            f"/api/v1/posts/{post_id}/comments",
            name="/api/v1/posts/[id]/comments",
            headers=self.api,
            json={"body": "Bonne idée, je suis partant·e !"},
        )

    @task(4)
    def react(self) -> None:
        post_id = random.choice(DATA["posts"])
        self.client.put(
            f"/api/v1/posts/{post_id}/reactions/%F0%9F%91%8D",
            name="/api/v1/posts/[id]/reactions/[emoji]",
            headers=self.api,
        )

    @task(10)
    def chat(self) -> None:
        if self.sio is None:
            self.connect()
            return
        started = time.perf_counter()
        error = None
        try:
            answer = self.sio.call(
                "send",
                {
                    "channel_id": self.account["channel"],
                    "body": random.choice(MESSAGES),
                    "client_id": uuid.uuid4().hex,
                },
                timeout=SOCKET_WAIT,
            )
            if not answer or not answer.get("ok"):
                error = RuntimeError(f"send: {answer}")
        except Exception as exc:  # noqa: BLE001
            error = exc
        _fire("WS", "socket send", started, error)

    # --- booking ---

    @task(4)
    def workspaces(self) -> None:
        self.page("/workspaces", "/workspaces")
        if random.random() < 0.5:
            self.page(
                f"/workspaces/spaces/{random.choice(DATA['desks'])}", "/workspaces/spaces/[id]"
            )

    @task(3)
    def book(self) -> None:
        day = random.choice(DAYS).isoformat()
        start, end = random.choice((("08:00", "13:00"), ("13:00", "19:00")))
        data = {
            "space_id": random.choice(DATA["desks"]),
            "start": f"{day}T{start}",
            "end": f"{day}T{end}",
        }
        with self.client.post(
            "/api/v1/bookings",
            json=data,
            headers=self.api,
            name="/api/v1/bookings",
            catch_response=True,
        ) as answer:
            if answer.status_code in (201, 409):
                answer.success()
            else:
                answer.failure(f"{answer.status_code}: {answer.text[:200]}")

    # --- searching ---

    @task(5)
    def search(self) -> None:
        self.page(f"/search?q={random.choice(QUERIES)}", "/search?q=")

    @task(4)
    def suggest(self) -> None:
        word = random.choice(QUERIES)
        self.page(f"/search/suggest?q={word[:3]}", "/search/suggest?q=")

    @task(2)
    def search_api(self) -> None:
        self.api_get(f"/api/v1/search?q={random.choice(QUERIES)}", "/api/v1/search?q=")


def _csrf(text: str | None) -> str | None:
    found = CSRF.search(text or "")
    return found.group(1) if found else None


def _fire(kind: str, name: str, started: float, error: Exception | None) -> None:
    events.request.fire(
        request_type=kind,
        name=name,
        response_time=(time.perf_counter() - started) * 1000,
        response_length=0,
        exception=error,
        context={},
    )
