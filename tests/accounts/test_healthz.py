from unittest import mock

import pytest


@pytest.mark.django_db
def test_healthz_reports_ok_when_database_and_channel_layer_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok", "checks": {"database": "ok", "cache": "ok", "channel_layer": "ok"}, "failing": []
    }


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


@pytest.fixture
def _unreachable_redis_layer(settings):
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}
    }
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.mark.django_db
@pytest.mark.usefixtures("_unreachable_redis_layer")
def test_healthz_is_503_when_the_redis_channel_layer_does_not_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "channel_layer": "error"}


@pytest.mark.django_db
@pytest.mark.usefixtures("unreachable_redis_cache")
def test_healthz_is_503_naming_the_cache_when_redis_does_not_answer_though_pages_still_do(client):
    assert client.get("/").status_code == 200  # the cache stands aside for pages…
    response = client.get("/healthz")  # …but not for the health check
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "error", "channel_layer": "ok"}
    assert response.json()["failing"] == ["cache"]


@pytest.mark.redis
@pytest.mark.django_db
def test_healthz_round_trips_through_the_real_redis_layer(client, settings):
    from channels.layers import channel_layers

    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    channel_layers.backends.clear()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "channel_layer": "ok"}
