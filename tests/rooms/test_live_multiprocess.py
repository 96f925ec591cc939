"""Live case sessions across real server processes: two daphne processes sharing the run through
Redis and PostgreSQL. The facilitator reveals an episode through a form on one process; participants
connected to either process get the step once, and the case page each then fetches shows the
episode; a participant that reconnects to the other process resumes with what it missed."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse

from cohorts import live_services
from tests.factories_cohorts import LiveWorld
from tests.rooms.test_rooms_multiprocess import _close_thread_connections, _login, cluster  # noqa: F401 — fixtures
from tests.servers import form_post, http_get

websockets = pytest.importorskip("websockets")
from websockets.asyncio.client import connect as ws_connect  # noqa: E402

pytestmark = [pytest.mark.redis, pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]


class LiveClient:
    def __init__(self, server, run_id: int, cookie: str):
        self.server, self.run_id, self.cookie = server, run_id, cookie
        self.steps: list[int] = []
        self.socket = None

    async def open(self, server=None, after: int = 1):
        self.server = server or self.server
        self.socket = await ws_connect(f"{self.server.ws}/ws/live/{self.run_id}/?after={after}", origin=self.server.http,
                                       additional_headers={"Cookie": f"sessionid={self.cookie}"}, open_timeout=10)
        await self.until("live.resumed")
        return self

    async def until(self, frame_type: str, timeout: float = 10) -> dict:
        while True:
            frame = json.loads(await asyncio.wait_for(self.socket.recv(), timeout))
            if frame["type"] == "live.event":
                self.steps.append(frame["seq"])
            if frame["type"] == frame_type:
                return frame


@sync_to_async
def _world():
    world = LiveWorld(per_profession=2, groups=0)
    run = live_services.live_run_start(cohort=world.cohort, page=world.case, actor=world.facilitator)
    world.case_url = world.case.url
    world.panel = reverse("cohorts:live_panel", args=[world.cohort.pk, run.pk])
    return world, run


async def test_a_reveal_on_one_process_reaches_participants_on_both_and_a_reconnection_resumes(cluster):
    _redis, (one, two) = cluster
    world, run = await _world()
    cookies = [await _login(user) for user in world.learners]
    facilitator = await _login(world.facilitator)
    clients = [await LiveClient((one, two)[i % 2], run.pk, cookie).open() for i, cookie in enumerate(cookies)]
    panel = world.panel
    reveal = reverse("cohorts:live_action", args=[world.cohort.pk, run.pk, "reveal"])
    status = await asyncio.to_thread(form_post, one.http, reveal, session_cookie=facilitator, data={}, csrf_page=panel)
    assert status == 302
    for client in clients:
        frame = await client.until("live.event")
        assert (frame["seq"], frame["kind"]) == (2, "reveal")
        _status, page = await asyncio.to_thread(http_get, f"{client.server.http}{world.case_url}", session_cookie=client.cookie)
        assert "Qui doit porter la filière gériatrique du GHT ?" in page
    # One participant drops; two steps happen meanwhile on the other process; it reconnects to it.
    leaving = clients[0]
    await leaving.socket.close()
    debrief = reverse("cohorts:live_action", args=[world.cohort.pk, run.pk, "debrief"])
    assert await asyncio.to_thread(form_post, two.http, reveal, session_cookie=facilitator, data={}, csrf_page=panel) == 302
    assert await asyncio.to_thread(form_post, two.http, debrief, session_cookie=facilitator, data={}, csrf_page=panel) == 302
    await leaving.open(server=two, after=leaving.steps[-1])
    assert leaving.steps == [2, 3, 4]
    for client in clients[1:]:
        while len(client.steps) < 3:
            await client.until("live.event")
        assert client.steps == [2, 3, 4]  # each once, in order, whichever process served the form
    for client in clients:
        await client.socket.close()
