"""The stack definition, without starting anything."""

import pytest
from devstack import engines, images, stack
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.settings import CassandraSettings, KafkaSettings, MinioSettings


def _addresses() -> dict[str, str]:
    return {e.name: e.address(10000 + i) for i, e in enumerate(engines.ALL)}


def test_client_env_round_trips_into_connector_settings():
    env = engines.client_env(_addresses(), {"DARKROOM_MINIO_SECRET_KEY": "s3cret-value"})
    assert engines.settings_from_env(KafkaSettings, env).bootstrap == "localhost:10000"
    cassandra = engines.settings_from_env(CassandraSettings, env)
    assert (cassandra.host, cassandra.port) == ("127.0.0.1", 10001)
    minio = engines.settings_from_env(MinioSettings, env)
    assert minio.endpoint == "localhost:10003"
    assert minio.secret_key.get_secret_value() == "s3cret-value"


def test_every_engine_has_its_own_host_port_and_alias():
    assert len({e.default_host_port for e in engines.ALL}) == len(engines.ALL)
    assert len({e.name for e in engines.ALL}) == len(engines.ALL)


def test_host_port_can_be_moved_by_environment(monkeypatch):
    monkeypatch.setenv("DARKROOM_KAFKA_HOST_PORT", "29092")
    assert engines.KAFKA.host_port == 29092


def test_inside_env_points_at_aliases_but_keeps_public_delivery_url():
    inside = engines.inside_env(engines.client_env(_addresses(), {}))
    assert inside["DARKROOM_KAFKA_BOOTSTRAP"] == "kafka:9093"
    assert inside["DARKROOM_MINIO_ENDPOINT"] == "minio:9000"
    assert inside["DARKROOM_NGINX_URL"] == "http://localhost:10004"
    assert inside["DARKROOM_NGINX_PURGE_URL"] == "http://nginx:8080"


@pytest.mark.parametrize("engine", engines.ALL, ids=lambda e: e.name)
def test_an_engine_points_only_at_fields_its_settings_have(engine):
    # Settings ignore unknown DARKROOM_* variables: a misspelt field would be lost silently.
    fields = set(engine.settings.model_fields)
    for points_at in (engine.points_at, engine.inside_points_at):
        if points_at is not None:
            assert set(points_at(engine.address(1))) <= fields



@pytest.mark.parametrize("engine", engines.ALL, ids=lambda e: e.name)
def test_an_engine_reads_only_secrets_the_stack_makes(engine):
    assert set(engine.secrets.values()) <= set(stack.SECRETS)


class ProbeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DARKROOM_PROBE_", extra="ignore")
    url: str = "http://localhost:1"


def test_a_new_engine_is_one_declaration(monkeypatch):
    # Declared here, like a new engine in engines.py: the stack's environment,
    # the containers' and the images to build take it in without a list or a
    # branch of their own.
    monkeypatch.setattr(engines, "ALL", list(engines.ALL))
    probe = engines.declare(engines.Engine(
        "probe", images.Image("probe", "darkroom/probe:1.0", "1.0", images.BASE_PLAIN), 7000, 17000,
        "/data", "64m", ProbeSettings, lambda address: {"url": address}, lambda settings, timeout_s: None,
        scheme="http://"))
    env = engines.client_env({**_addresses(), "probe": probe.address(17000)}, {})
    assert env["DARKROOM_PROBE_URL"] == "http://localhost:17000"
    assert engines.inside_env(env)["DARKROOM_PROBE_URL"] == "http://probe:7000"
    assert probe.image in engines.images_to_build(app=False)
    assert probe.ready(env, timeout_s=1) == "1.0"  # a probe that cannot tell: the image's version
    with pytest.raises(ValueError, match="declared twice"):
        engines.declare(probe)
