"""Follow the shop-models topic: a worker scores and aims with the latest model from when it reads it
(unless ``COMEBACK_MODEL_FILE`` pins one)."""

import asyncio
import logging

from kafka.errors import KafkaError

from streams.adapters.shop_models import ModelReader
from streams.runtime.app import Runtime

log = logging.getLogger(__name__)


def register(runtime: Runtime) -> None:
    settings = runtime.settings
    if settings.model_file is not None:
        log.info("shop model pinned by COMEBACK_MODEL_FILE=%s: not following the topic", settings.model_file)
        return
    reader = ModelReader(settings)

    @runtime.app.timer(interval=settings.model_poll_seconds, name="follow_the_shop_model")
    async def follow_the_shop_model() -> None:
        try:  # kafka-python blocks: read in a thread, switch on the loop
            model = await asyncio.get_running_loop().run_in_executor(None, reader.read_to_end)
            switched = runtime.use_model(model)
        except (KafkaError, ValueError) as exc:  # a broker error, or a model the policy cannot take
            log.warning("shop model not updated (%s): kept the one in use", exc)
            return
        if switched:
            log.info("scoring with shop model %s from now on", model.fingerprint if model else "(none)")
