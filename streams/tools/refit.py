"""``comeback refit``: fit the shop's model from the customers' live states (the worker's changelog) at the
run's time and publish it on the shop-models topic, now and then every ``comeback.refit_every_hours``."""

from __future__ import annotations

import sys
import time

from kafka.errors import KafkaError

from schemas.shop_model import ShopModel
from streams.adapters.shop_models import publish_model
from streams.config import Settings, load_policy
from streams.domain.customer.comeback import NotEnoughHistory, fit_shop_model
from streams.tools.comeback import describe_model
from streams.tools.rebuild import RebuildError, latest_states, run_clock

__all__ = ["refit", "run_refit"]


def refit(settings: Settings, version: str = "shop") -> ShopModel:
    """Fit from every customer's latest state (erased ones left out) and publish; raises NotEnoughHistory."""
    policy = load_policy(settings.policy_file)
    at = run_clock(settings)
    states = (s for _, s in latest_states(settings) if s is not None and s.erased_at is None)
    model = fit_shop_model(states, at, policy, version)
    publish_model(settings, model)
    return model


def run_refit(settings: Settings, version: str = "shop", *, once: bool = False) -> int:
    """Refit and publish (``once``: a single time, 1 when it cannot fit, 2 on a broker error); a failed
    scheduled refit is reported on stderr and the next one tried on schedule."""
    every = load_policy(settings.policy_file).comeback.refit_every_hours * 3600
    while True:
        try:
            model = refit(settings, version)
            print(f"published {describe_model(model)}", flush=True)
        except NotEnoughHistory as exc:
            print(f"comeback: cannot fit: {exc}", file=sys.stderr, flush=True)
            if once:
                return 1
        except (KafkaError, RebuildError) as exc:
            print(f"comeback: refit failed: {exc}", file=sys.stderr, flush=True)
            if once:
                return 2
        if once:
            return 0
        time.sleep(every)
