from unittest import mock

import pytest


@pytest.mark.django_db
def test_healthz_reports_ok_when_database_and_channel_layer_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "channel_layer": "ok"}, "failing": []}


@pytest.mark.django_db
def test_healthz_names_the_channel_layer_when_it_fails(client):
    with mock.patch("config.views.get_channel_layer", side_effect=ConnectionError("redis down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["channel_layer"]


@pytest.mark.django_db
def test_healthz_names_the_database_when_it_fails(client):
    with mock.patch("config.views.connection.cursor", side_effect=RuntimeError("db down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["database"]
