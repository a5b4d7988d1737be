"""Shared contract: the shop's fitted repurchase model, what ``comeback fit`` and ``comeback refit`` publish
on the shop-models topic (or write to a file), every worker reads and the policy carries (``Policy.model``).
Read like the input events (``Inbound``: open within the major, versioned by ``schema_version``); a fit
is named by its ``fingerprint``. The fitting and scoring are in ``streams.domain.customer.comeback``."""

from __future__ import annotations

import hashlib
import json
from functools import cached_property
from typing import Literal

from pydantic import AwareDatetime, Field

from schemas.base import SCHEMA_MAJOR, SCHEMA_VERSION, VERSION_PATTERN, Inbound

__all__ = ["FEATURES", "BgNbdParams", "CalibratedModel", "GammaGammaParams", "GlmParams", "RfmCuts", "ShopModel"]

FEATURES: tuple[str, ...] = (
    "log_recency_days",
    "log_orders",
    "log_tenure_days",
    "log_mean_value",
    "bgnbd_logit",
    "bgnbd_log_expected",
    "log_views_30d",
    "log_views_since_order",
    "log_days_since_view",
    "favorites_30d",
    "refund_share",
    "discount_share",
    "cycle_due",
    "has_cycle",
)
"""The calibrated model's inputs, in order (``feature_row``)."""


class BgNbdParams(Inbound):
    """BG/NBD: purchase rate ~ Gamma(r, alpha) per day, drop-out after a purchase ~ Beta(a, b)."""

    r: float = Field(gt=0)
    alpha: float = Field(gt=0, description="In days.")
    a: float = Field(gt=0)
    b: float = Field(gt=0)
    log_likelihood: float = 0
    customers: int = Field(default=0, ge=0)


class GammaGammaParams(Inbound):
    """Gamma-Gamma: order values ~ Gamma(p, nu), nu ~ Gamma(q, gamma) (gamma in shop currency)."""

    p: float = Field(gt=0)
    q: float = Field(gt=0)
    gamma: float = Field(gt=0)
    log_likelihood: float = 0
    customers: int = Field(default=0, ge=0)


class RfmCuts(Inbound):
    """The shop's RFM quintile cut points (20/40/60/80%), as the rfm section reads them."""

    recency_days: tuple[int, int, int, int]
    frequency_orders: tuple[int, int, int, int]
    monetary_spent: tuple[float, float, float, float]


class GlmParams(Inbound):
    family: Literal["logistic", "poisson"]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    intercept: float
    coefficients: tuple[float, ...]
    offset: int | None = Field(default=None, description="Index of the feature added as it is (coefficient 1).")


class CalibratedModel(Inbound):
    """Logistic P(order within H) and Poisson E[orders within H] on ``features``, trained as of ``split_at``."""

    features: tuple[str, ...] = FEATURES
    probability: GlmParams
    orders: GlmParams
    split_at: AwareDatetime = Field(description="The latest split: features as of it, truth up to the fit.")
    splits: int = Field(default=1, ge=1, description="Splits pooled, one training horizon apart, the latest first.")
    training_horizon_days: int | None = Field(
        default=None, ge=1, description="The horizon the truth was counted over (None: the model's horizon)."
    )
    rows: int = Field(ge=0)
    positive_share: float = Field(ge=0, le=1)


class ShopModel(Inbound):
    """The shop's fitted repurchase model: what every worker scores customers with."""

    schema_version: str = Field(
        default=SCHEMA_VERSION,
        pattern=VERSION_PATTERN,
        description=f"{SCHEMA_MAJOR}.MINOR: a worker reads a newer minor (its new fields ignored) and skips another "
        "major.",
    )
    version: str = Field(default="shop", min_length=1, max_length=64, description="A name for this fit.")
    fitted_at: AwareDatetime = Field(description="The event time the customers' states were taken at.")
    horizon_days: int = Field(ge=1)
    customers: int = Field(ge=0, description="Customers known at the fit.")
    buyers: int = Field(ge=0, description="... with at least one order that counts.")
    repeat_share: float = Field(ge=0, le=1, description="Share of buyers with two orders or more.")
    bgnbd: BgNbdParams
    gamma_gamma: GammaGammaParams | None = None
    rfm: RfmCuts
    average_order_value: float = Field(gt=0, description="The shop's: net spend / orders of its buyers.")
    aov_quantiles: tuple[float, float, float] = Field(description="Customer AOV at 25/50/75%.")
    value_bands: tuple[float, float] = Field(description="Expected spend within H: tertile cut points.")
    calibrated: CalibratedModel | None = None

    @cached_property
    def fingerprint(self) -> str:
        """``version+hash``: names the exact numbers a score was made with (the fields this reader knows)."""
        digest = hashlib.sha256(json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()
        return f"{self.version}+{digest[:8]}"
