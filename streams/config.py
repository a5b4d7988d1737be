"""Runtime configuration from COMEBACK_* environment variables (pydantic-settings)."""

from __future__ import annotations

import ipaddress
import json
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import yaml
from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.base import describe_errors
from schemas.topics import TOPICS, TopicSpec, by_role
from schemas.triggers import TriggerType
from streams.domain.customer.comeback import ShopModel, effective_policy
from streams.domain.policy import Policy

__all__ = ["ModelFileError", "PolicyError", "Settings", "load_model", "load_policy", "masked"]


class Settings(BaseSettings):
    """Everything an operator sets; the business numbers live in the policy file instead."""

    model_config = SettingsConfigDict(env_prefix="COMEBACK_", frozen=True, extra="ignore")

    app_id: str = Field(default="comeback", description="Faust app id: consumer group and changelog prefix.")
    kafka_bootstrap: str = Field(default="127.0.0.1:9092", description="host:port[,host:port...]")
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "PLAIN"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None
    kafka_ssl_certfile: Path | None = None
    kafka_ssl_keyfile: Path | None = None
    redis_url: SecretStr = SecretStr("redis://127.0.0.1:6379/0")
    redis_prefix: str = "comeback:"
    policy_file: Path | None = Field(default=None, description="YAML or TOML; unset means the built-in defaults.")
    model_file: Path | None = Field(
        default=None,
        description="Pins the shop's repurchase model to this file (the JSON `comeback fit` writes), read once at "
        "start; unset: every worker follows the shop-models topic (`comeback fit --publish`, `comeback refit`) "
        "and scores with the latest model from when it reads it (no scores before the first).",
    )
    model_poll_seconds: float = Field(
        default=30, gt=0, le=3600, description="How often a worker looks for a new model on the shop-models topic."
    )
    topic_prefix: str = Field(default="", description="Prepended to every topic name (isolates environments).")
    trigger_routes: dict[TriggerType, str] = Field(
        default_factory=dict,
        description='JSON: trigger type -> topic, e.g. {"favorite_low_stock": "comeback.triggers.stock"}; '
        "other types go to the default triggers topic.",
    )
    partitions: int = Field(default=4, ge=1, le=1024)
    replication_factor: int = Field(default=1, ge=1, le=16)
    store: str = Field(default="rocksdb://", description="Table store: rocksdb:// in production, memory:// allowed.")
    data_dir: Path = Path("comeback-data")
    clock: Literal["wall", "event"] = Field(default="wall", description="wall in production, event for replays.")
    timer_interval_seconds: float = Field(default=0.25, gt=0, le=60)
    projection_lag_seconds: float = Field(
        default=0.5,
        gt=0,
        le=60,
        description="How often the Redis profile view is written: a changed customer's profile reaches Redis about "
        "this long after the change, once however often it changed meanwhile.",
    )
    max_message_bytes: int = Field(default=65_536, ge=1_024)
    web_host: str = Field(default="127.0.0.1", description="The web port binds here (and is advertised so).")
    web_port: int = Field(default=6066, ge=0, le=65535)
    web_advertised_host: str | None = Field(
        default=None,
        description="The host other workers reach this one at, for routed profile requests; unset: web_host, "
        "or this machine's host name when web_host is a wildcard (0.0.0.0, ::).",
    )
    web_token: SecretStr | None = Field(
        default=None,
        description="Bearer token for GET /customers/{id}; required when web_host is not a loopback address.",
    )
    producer_max_batch_size: int = Field(default=16_384, ge=1, description="Bytes; 1 on the embedded broker.")
    consumer_max_fetch_bytes: int = Field(
        default=16 * 2**20,
        ge=65_536,
        description="Bytes a worker fetches per partition at most (Faust's default is 1 MiB): a restarted worker "
        "reads its changelogs about twice as fast with 16 MiB (benchmarks/restart, docs/capacity.md).",
    )
    producer_ack_each: bool = Field(
        default=False,
        description="SDK producer (EventProducer): wait for each record's ack, one record per batch (the embedded "
        "broker's end offsets are wrong after a multi-record batch); off: batch and flush at the end.",
    )
    producer_idempotence: bool = Field(
        default=True,
        description="SDK producer: idempotent sends (kafka-python's default); off on the embedded broker. Faust 0.15 "
        "has no such setting: its producer is idempotent only with processing_guarantee=exactly_once.",
    )
    session_timeout_seconds: float = Field(default=60, gt=0)
    heartbeat_interval_seconds: float = Field(default=3, gt=0)
    recovery_stall_seconds: float = Field(
        default=30,
        gt=0,
        description="A table recovery that received no changelog record for this long, with records still to "
        "read, is started again (streams/runtime/recovery_watchdog.py).",
    )
    log_level: str = Field(
        default="info",
        description="The level of the service's own loggers (debug: a line per applied message with its ids); "
        "the libraries' loggers stay at info or above, since their debug lines print whole records.",
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="json: one JSON object per line (time, level, logger, message and the record's ids), for log "
        "collectors; text: Faust's coloured lines.",
    )

    @model_validator(mode="after")
    def _profiles_are_not_open_to_the_network(self) -> Settings:
        if self.web_token is None and not _is_loopback(self.web_host):
            raise ValueError(f"web_host {self.web_host} is not a loopback address: set COMEBACK_WEB_TOKEN")
        return self

    def topic_name(self, spec: TopicSpec) -> str:
        return f"{self.topic_prefix}{spec.name}"

    def trigger_topic_for(self, trigger_type: str) -> str:
        """Where triggers of this type go: its route if configured, else the default triggers topic."""
        routed = self.trigger_routes.get(trigger_type)  # type: ignore[call-overload]
        return f"{self.topic_prefix}{routed}" if routed else self.topic_name(by_role("triggers"))

    def all_topic_names(self) -> list[str]:
        """Every topic the engine uses, routed trigger topics included."""
        routed = {f"{self.topic_prefix}{name}" for name in self.trigger_routes.values()}
        return sorted({self.topic_name(spec) for spec in TOPICS} | routed)

    def kafka_client_options(self) -> dict[str, Any]:
        """Security options in kafka-python's spelling (aiokafka's are the same)."""
        options: dict[str, Any] = {"security_protocol": self.kafka_security_protocol}
        if self.kafka_security_protocol.startswith("SASL"):
            options |= {
                "sasl_mechanism": self.kafka_sasl_mechanism,
                "sasl_plain_username": self.kafka_sasl_username,
                "sasl_plain_password": self.kafka_sasl_password.get_secret_value()
                if self.kafka_sasl_password
                else None,
            }
        if self.kafka_security_protocol.endswith("SSL"):
            options |= {
                "ssl_cafile": str(self.kafka_ssl_cafile) if self.kafka_ssl_cafile else None,
                "ssl_certfile": str(self.kafka_ssl_certfile) if self.kafka_ssl_certfile else None,
                "ssl_keyfile": str(self.kafka_ssl_keyfile) if self.kafka_ssl_keyfile else None,
            }
        return options


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _mask_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":****@")
    return urlunsplit(parts._replace(netloc=netloc))


def masked(settings: Settings) -> str:
    """The effective settings as JSON, secrets replaced by ****."""
    values = settings.model_dump(mode="json")
    values["kafka_sasl_password"] = "****" if settings.kafka_sasl_password else None
    values["web_token"] = "****" if settings.web_token else None
    values["redis_url"] = _mask_url(settings.redis_url.get_secret_value())
    return json.dumps(values, indent=2, sort_keys=True)


class PolicyError(ValueError):
    """The policy file cannot be used; the message says where and why."""


def load_policy(path: Path | None) -> Policy:
    """Read and validate a policy file; ``None`` gives the defaults."""
    if path is None:
        return Policy()
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (OSError, tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise PolicyError(f"policy file {path}: cannot read it: {exc}") from exc
    if isinstance(raw, dict) and "model" in raw:
        raise PolicyError(f"policy file {path}: model: the shop's model comes from COMEBACK_MODEL_FILE")
    try:
        return Policy.model_validate(raw or {})
    except ValidationError as exc:
        raise PolicyError(f"policy file {path}: {describe_errors(exc)}") from exc


class ModelFileError(PolicyError):
    """The model file cannot be used; the message says where and why."""


def shop_policy(settings: Settings) -> Policy:
    """The policy file's policy carrying the model file's model (``effective_policy``): what the worker, the
    profile rebuild and the reference runs they are checked against decide with."""
    return effective_policy(load_policy(settings.policy_file), load_model(settings.model_file))


def load_model(path: Path | None) -> ShopModel | None:
    """Read and validate a model file (``comeback fit``'s output); ``None`` gives no model."""
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ModelFileError(f"model file {path}: cannot read it: {exc}") from exc
    try:
        return ShopModel.model_validate_json(text)
    except ValidationError as exc:
        raise ModelFileError(f"model file {path}: {describe_errors(exc)}") from exc
