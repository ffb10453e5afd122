"""The stack definition, without starting anything."""

from devstack import engines

from connectors.settings import CassandraSettings, KafkaSettings, MinioSettings


def test_client_env_round_trips_into_connector_settings():
    addresses = {e.name: engines.address(e, 10000 + i) for i, e in enumerate(engines.ALL)}
    env = engines.client_env(addresses, "s3cret-value", "api-key")
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
    addresses = {e.name: engines.address(e, 10000 + i) for i, e in enumerate(engines.ALL)}
    inside = engines.inside_env(engines.client_env(addresses, "secret", "key"))
    assert inside["DARKROOM_KAFKA_BOOTSTRAP"] == "kafka:9093"
    assert inside["DARKROOM_MINIO_ENDPOINT"] == "minio:9000"
    assert inside["DARKROOM_NGINX_URL"] == "http://localhost:10004"
    assert inside["DARKROOM_NGINX_PURGE_URL"] == "http://nginx:8080"
