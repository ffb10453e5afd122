"""How to reach each engine, from environment variables.

Every setting is `DARKROOM_<ENGINE>_<NAME>`; the defaults are the addresses
`./darkroom up` publishes on the host. Secrets have no default: the stack
generates them and `./darkroom env` prints them for a shell.
"""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _prefix(engine: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=f"DARKROOM_{engine}_", extra="ignore")


class KafkaSettings(BaseSettings):
    model_config = _prefix("KAFKA")
    bootstrap: str = "localhost:19092"
    client_id: str = "darkroom"
    # The default partition count of Darkroom's topics: the most consumers a stage can scale to.
    partitions: int = 6


class CassandraSettings(BaseSettings):
    model_config = _prefix("CASSANDRA")
    host: str = "127.0.0.1"
    port: int = 19042
    keyspace: str = "darkroom"
    replication_factor: int = 1
    connect_timeout_s: float = 10.0


class ElasticsearchSettings(BaseSettings):
    model_config = _prefix("ELASTICSEARCH")
    url: str = "http://localhost:19200"
    index_prefix: str = "darkroom"
    request_timeout_s: float = 10.0


class MinioSettings(BaseSettings):
    model_config = _prefix("MINIO")
    endpoint: str = "localhost:19000"
    access_key: str = "darkroom"
    secret_key: SecretStr
    secure: bool = False
    region: str = "us-east-1"  # fixed so presigning never asks the server for it
    originals_bucket: str = "darkroom-originals"
    variants_bucket: str = "darkroom-variants"


class NginxSettings(BaseSettings):
    model_config = _prefix("NGINX")
    # The public base URL of the delivery cache in front of MinIO.
    url: str = "http://localhost:18080"
    # Where this process reaches nginx to purge, when that differs from the
    # public URL (inside a Docker network or a cluster); empty: `url`.
    purge_url: str = ""
    timeout_s: float = 5.0


class TusSettings(BaseSettings):
    model_config = _prefix("TUS")
    # The public base URL of tusd (resumable uploads at <url>/files/): what
    # clients dial, and what the API tells them (GET /v1/uploads/tus).
    url: str = "http://localhost:18070"


class DeliverySettings(BaseSettings):
    """What the delivery tier (nginx) shares with the API and the render
    service. Secrets only, no defaults: the stack generates them."""

    model_config = _prefix("DELIVERY")
    # Keys of signed delivery URLs, `kid:secret,kid:secret`: the first signs new
    # URLs, every one listed verifies (so a key rotates without breaking live URLs).
    signing_keys: SecretStr
    # Sent by the API with PURGE requests; nginx refuses a purge without it.
    purge_token: SecretStr
    # Sent by nginx to MinIO (as Referer) for private objects; MinIO's bucket
    # policy lets only requests carrying it read under private/.
    origin_secret: SecretStr
