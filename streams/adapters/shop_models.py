"""The shop-models topic: publish a fitted model, and read the latest one (every reader reads the whole
one-partition topic itself, without a consumer group, so every worker sees every model)."""

from __future__ import annotations

import logging
import time
from contextlib import closing

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from pydantic import ValidationError

from schemas.base import describe_errors
from schemas.shop_model import ShopModel
from schemas.topics import by_role
from streams.adapters.kafka_clients import consumer, producer
from streams.config import Settings, load_model, load_policy
from streams.domain.customer.comeback import effective_policy
from streams.domain.policy import Policy

__all__ = ["KEY", "ModelReader", "current_policy", "latest_model", "publish_model", "start_model"]

KEY = b"shop"
log = logging.getLogger(__name__)


def _topic(settings: Settings) -> str:
    return settings.topic_name(by_role("shop_models"))


def publish_model(settings: Settings, model: ShopModel, *, timeout: float = 30.0) -> None:
    """Append ``model`` to the topic (acknowledged by every in-sync replica before this returns)."""
    with closing(producer(settings, acks="all")) as sender:
        sender.send(_topic(settings), key=KEY, value=model.model_dump_json().encode()).get(timeout)


class ModelReader:
    """Follows the topic from its start: ``read_to_end`` gives the latest model this version can read.

    A record it cannot read (another major, invalid) is logged and skipped, so the model before it stays;
    a tombstone withdraws the model (None: score without one).
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._partition = TopicPartition(_topic(settings), 0)
        self._consumer: KafkaConsumer | None = None  # connects on the first read
        self.latest: ShopModel | None = None

    def read_to_end(self, timeout: float = 10.0) -> ShopModel | None:
        """Read what was published up to now (at most ``timeout`` seconds) and return the latest model."""
        deadline = time.monotonic() + timeout
        if self._consumer is None:
            self._consumer = consumer(self._settings, enable_auto_commit=False, group_id=None)
        if not self._consumer.partitions_for_topic(self._partition.topic):
            return self.latest  # not created yet: nothing published
        if not self._consumer.assignment():
            self._consumer.assign([self._partition])
            self._consumer.seek_to_beginning(self._partition)
        wait_ms = int(timeout * 1000)
        end = self._consumer.end_offsets([self._partition], timeout_ms=wait_ms)[self._partition]
        while self._consumer.position(self._partition, timeout_ms=wait_ms) < end and time.monotonic() < deadline:
            for record in self._consumer.poll(timeout_ms=500).get(self._partition, []):
                self._take(record)
        return self.latest

    def _take(self, record: ConsumerRecord) -> None:
        if record.value is None:
            log.info("shop model withdrawn at offset %d: scoring without a model", record.offset)
            self.latest = None
            return
        try:
            self.latest = ShopModel.model_validate_json(record.value, strict=True)
        except ValidationError as exc:
            log.warning("shop model at offset %d skipped, kept the one before: %s", record.offset, describe_errors(exc))

    def close(self) -> None:
        if self._consumer is not None:
            self._consumer.close()


def latest_model(settings: Settings, *, timeout: float = 10.0) -> ShopModel | None:
    """The latest model published (None: none yet, or the topic does not exist yet)."""
    with closing(ModelReader(settings)) as reader:
        return reader.read_to_end(timeout)


def start_model(settings: Settings) -> ShopModel | None:
    """The model a worker starts with: the one ``COMEBACK_MODEL_FILE`` pins, else the latest on the topic."""
    return load_model(settings.model_file) if settings.model_file is not None else latest_model(settings)


def current_policy(settings: Settings) -> Policy:
    """The policy file's policy carrying the model a worker would start with now (``start_model``)."""
    return effective_policy(load_policy(settings.policy_file), start_model(settings))
