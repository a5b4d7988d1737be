"""The business numbers a marketer may change, validated from a YAML or TOML file.

Defaults are the figures of shared/domain.md; a file only names what it changes.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from functools import cached_property
from typing import Annotated, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.base import Currency
from schemas.shop_model import ShopModel
from schemas.triggers import Offer, TriggerType
from streams.domain.contact.policy import ContactPolicy

__all__ = [
    "DORMANT_STAGES",
    "DormantStage",
    "BirthdayPolicy",
    "ProductAlertsPolicy",
    "ChurnWarningPolicy",
    "ComebackPolicy",
    "CrossSellPolicy",
    "ReplenishmentPolicy",
    "TierUpgradePolicy",
    "UsageGuidePolicy",
    "WelcomePolicy",
    "AffinityPolicy",
    "BrowseFollowupPolicy",
    "BrowsingPolicy",
    "LifecyclePolicy",
    "IntakePolicy",
    "LifecycleWakeupPolicy",
    "LimitsPolicy",
    "Policy",
    "PriceSensitivityPolicy",
    "RepurchasePolicy",
    "RfmPolicy",
    "SegmentPolicy",
    "ShopPolicy",
    "TierPolicy",
]

DormantStage = Literal["silent", "sleeping", "at_risk", "lost"]
"""The lifecycle stages a wake-up can be sent for."""
DORMANT_STAGES: Final[tuple[DormantStage, ...]] = get_args(DormantStage)
PositiveRate = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LifecyclePolicy(_Section):
    """Stages by days since the last order (new: days since the first order)."""

    new_within_days: int = Field(default=3, ge=0)
    silent_after_days: int = Field(default=90, ge=1)
    sleeping_after_days: int = Field(default=180, ge=1)
    at_risk_after_days: int = Field(default=270, ge=1)
    lost_after_days: int = Field(default=360, ge=1)

    @model_validator(mode="after")
    def _increasing(self) -> LifecyclePolicy:
        days = [self.silent_after_days, self.sleeping_after_days, self.at_risk_after_days, self.lost_after_days]
        if days != sorted(set(days)):
            raise ValueError("silent < sleeping < at_risk < lost days must strictly increase")
        return self


class TierPolicy(_Section):
    """Membership by the largest single order."""

    vip_single_order: float = Field(default=188, gt=0)
    super_vip_single_order: float = Field(default=388, gt=0)
    vip_coupon: float = Field(default=20, ge=0)
    super_vip_coupon: float = Field(default=50, ge=0)
    downgrade_on_refund: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> TierPolicy:
        if self.super_vip_single_order <= self.vip_single_order:
            raise ValueError("super_vip_single_order must be above vip_single_order")
        return self


def _strictly_increasing(values: tuple[float, ...], name: str) -> None:
    if any(b <= a for a, b in zip(values, values[1:], strict=False)):
        raise ValueError(f"{name} must strictly increase")


class RfmPolicy(_Section):
    """RFM scores 1-5 from four cut points each."""

    recency_days: tuple[int, int, int, int] = Field(
        default=(30, 60, 90, 180), description="Score 5 within the first, 4 within the second, ... 1 beyond the last."
    )
    frequency_orders: tuple[int, int, int, int] = Field(
        default=(2, 3, 5, 8), description="Score 2 from the first order count, ... 5 from the last; else 1."
    )
    monetary_spent: tuple[float, float, float, float] = Field(
        default=(200, 500, 1000, 2000), description="Score 2 from the first net spend (yuan), ... 5 from the last."
    )

    @model_validator(mode="after")
    def _increasing(self) -> RfmPolicy:
        for name in ("recency_days", "frequency_orders", "monetary_spent"):
            _strictly_increasing(getattr(self, name), name)
        return self


class SegmentPolicy(_Section):
    """Named segments from the RFM scores and order figures."""

    high_value_min_score: int = Field(default=4, ge=1, le=5, description="R, F and M all at least this.")
    potential_min_recency: int = Field(default=4, ge=1, le=5, description="Recent buyers ...")
    potential_max_frequency: int = Field(default=2, ge=1, le=5, description="... who have not bought often yet.")
    slipping_min_frequency: int = Field(default=3, ge=1, le=5, description="Frequent buyers ...")
    slipping_max_recency: int = Field(default=2, ge=1, le=5, description="... who have not bought lately.")
    low_value_max_aov: float = Field(default=30, ge=0, description="Not worth chasing: average order at most this ...")
    low_value_max_orders_per_year: int = Field(default=1, ge=0, description="... and at most this many orders a year.")


class ShopPolicy(_Section):
    """Shop-wide figures that customer bands are relative to."""

    average_order_value: float = Field(default=150, gt=0, description="The shop's average order value (yuan).")
    high_power_factor: float = Field(default=1.5, gt=1, description="High purchasing power: AOV >= factor x shop AOV.")
    low_power_factor: float = Field(default=0.75, gt=0, lt=1, description="Low: AOV < factor x shop AOV.")
    currency: Currency = Field(default="CNY", description="The one currency amounts are kept in (ISO 4217).")
    exchange_rates: dict[Currency, PositiveRate] = Field(
        default_factory=dict,
        description="Other currencies accepted, as shop-currency units per unit, e.g. {USD: 7.1}: intake converts "
        "their amounts; an order or refund in a currency not listed is dead-lettered (wrong_currency).",
    )

    @model_validator(mode="after")
    def _rates_for_other_currencies(self) -> ShopPolicy:
        if self.currency in self.exchange_rates:
            raise ValueError(f"exchange_rates lists the shop's own currency {self.currency}")
        return self


class IntakePolicy(_Section):
    """Sanity bounds on input events that depend on the clock, checked by intake after the contract."""

    max_future_skew_hours: float = Field(
        default=24,
        ge=0,
        le=24 * 366,
        allow_inf_nan=False,
        description="An occurred_at further ahead of the engine's wall clock is dead-lettered (implausible_time).",
    )
    earliest_occurred_at: date = Field(
        default=date(2000, 1, 1), description="An occurred_at before this day (00:00 UTC) is dead-lettered."
    )


class PriceSensitivityPolicy(_Section):
    high_min_share: float = Field(default=0.6, ge=0, le=1, description="High: this share of orders on discount ...")
    high_min_depth: float = Field(default=0.3, ge=0, le=1, description="... or this average discount depth.")
    low_max_share: float = Field(default=0.2, ge=0, le=1, description="Low: at most this share on discount ...")
    low_max_depth: float = Field(default=0.1, ge=0, le=1, description="... and a shallower average depth.")


class AffinityPolicy(_Section):
    """Category and brand affinity: purchases (weight 1) and views, decayed by age."""

    half_life_days: float = Field(default=90, gt=0)
    view_weight: float = Field(default=0.2, ge=0)
    top: int = Field(default=5, ge=1, le=50, description="How many categories and brands the profile lists.")


class RepurchasePolicy(_Section):
    """A customer's own rhythm per category."""

    min_purchases: int = Field(default=2, ge=2, description="Purchases in a category before a cycle is learned.")
    min_interval_days: float = Field(default=1, gt=0, description="Purchases closer than this count as one.")


class BrowsingPolicy(_Section):
    session_gap_minutes: float = Field(default=30, gt=0, description="Views further apart start a new session.")


def _wakeup_offers() -> dict[DormantStage, Offer]:
    return {
        "silent": Offer(
            kind="percent_off",
            level=1,
            value=20,
            valid_days=7,
            description="an item you liked was upgraded: 20% off for old customers",
        ),
        "sleeping": Offer(
            kind="coupon",
            level=2,
            value=10,
            valid_days=7,
            description="limited-time voucher that deducts directly, no spend threshold",
        ),
        "at_risk": Offer(kind="coupon", level=3, value=20, valid_days=7, description="stronger win-back voucher"),
        "lost": Offer(kind="coupon", level=4, value=30, valid_days=14, description="last-chance win-back voucher"),
    }


class LifecycleWakeupPolicy(_Section):
    """lifecycle_wakeup: on entering a dormant stage, an offer that grows with dormancy."""

    enabled: bool = True
    offers: dict[DormantStage, Offer] = Field(
        default_factory=_wakeup_offers, description="Stages left out get no wake-up."
    )


class BrowseFollowupPolicy(_Section):
    """A same-category offer some hours after a view that led to no purchase."""

    enabled: bool = True
    delay_hours: float = Field(default=2, gt=0, le=24 * 30)
    max_products: int = Field(default=5, ge=1, le=50)
    offer: Offer = Offer(kind="coupon", level=1, value=5, valid_days=1, description="same-category coupon")


class WelcomePolicy(_Section):
    """welcome: on the first order, the new-customer pack."""

    enabled: bool = True
    offer: Offer = Offer(
        kind="pack", level=1, value=50, valid_days=7, description="new-customer pack: second item half price"
    )


class UsageGuidePolicy(_Section):
    """usage_guide: some days after a purchase in a marked category, a guide that mentions the refill."""

    enabled: bool = True
    delay_days: float = Field(default=3, gt=0)
    categories: dict[str, str] = Field(
        default_factory=lambda: {"appliances": "energy-saving tips", "makeup": "make-up tutorial"},
        description="Category -> the guide to send.",
    )


def _category_cycles() -> dict[str, float]:
    return {"haircare": 30, "ink": 60, "paper": 14, "coffee": 21}


class ReplenishmentPolicy(_Section):
    """replenishment: a reminder before the customer is due to buy a consumable again."""

    enabled: bool = True
    lead_days: float = Field(default=5, ge=0, description="Remind this many days before the predicted date.")
    category_cycles_days: dict[str, float] = Field(
        default_factory=_category_cycles,
        description="Known cycles per category; the catalog's and the customer's own learned cycle take precedence.",
    )
    catalog_cycles: bool = Field(
        default=True, description="Ask the catalog for each bought product's replenishment_days (a lookup per line)."
    )
    offer: Offer = Offer(kind="percent_off", level=1, value=20, valid_days=7, description="stock-up offer")


class CrossSellPolicy(_Section):
    """cross_sell: after a purchase in a category, an offer in its related categories."""

    enabled: bool = True
    delay_hours: float = Field(default=24, ge=0)
    related: dict[str, tuple[str, ...]] = Field(
        default_factory=lambda: {"yoga": ("sportswear",), "printers": ("ink", "paper"), "coffee-machines": ("coffee",)},
        description="Category -> related categories.",
    )
    offer: Offer = Offer(kind="coupon", level=1, value=10, valid_days=7, description="coupon for a related category")


class TierUpgradePolicy(_Section):
    """tier_upgrade: when a single order lifts the customer to VIP or super VIP (coupons from tiers)."""

    enabled: bool = True
    valid_days: int = Field(default=30, ge=1)


class ChurnWarningPolicy(_Section):
    """churn_warning: browse sessions in a row without a purchase, or unfollowing the shop."""

    enabled: bool = True
    sessions_without_purchase: int = Field(default=2, ge=1)
    offer: Offer = Offer(
        kind="coupon", level=2, value=10, valid_days=7, description="not happy with something? here are 10 yuan"
    )


class BirthdayPolicy(_Section):
    """birthday: double points in the customer's birthday month (in their time zone)."""

    enabled: bool = True
    offer: Offer = Offer(kind="points", level=1, value=2, valid_days=28, description="double points all month")


class ProductAlertsPolicy(_Section):
    """favorite_low_stock, back_in_stock and price_drop on products customers watch."""

    enabled: bool = True
    low_stock_threshold: int = Field(default=10, ge=1, description="Alert favoriters at or below this many units.")
    price_drop_min_percent: float = Field(default=10, gt=0, lt=100, description="A drop of at least this percent.")
    viewed_within_days: float = Field(default=30, gt=0, description="A view keeps the customer watching this long.")
    low_stock_offer: Offer = Offer(kind="none", level=0, description="only a few left")
    back_in_stock_offer: Offer = Offer(kind="none", level=0, description="back in stock")
    price_drop_offer: Offer = Offer(kind="none", level=0, description="price dropped on an item you looked at")


class ComebackPolicy(_Section):
    """Who will come back: the shop's repurchase model (BG/NBD, Gamma-Gamma and a calibrated model), how it
    scores customers, and how wake-ups and win-backs use the scores."""

    horizon_days: int = Field(default=90, ge=1, le=730, description="Scores say: orders within this many days.")
    rfm_scoring: Literal["shop_quantiles", "absolute"] = Field(
        default="shop_quantiles",
        description="shop_quantiles: RFM cut points are the shop's own quintiles from the latest fit (any "
        "currency); absolute: the rfm section's cut points. Without a fitted model, absolute.",
    )
    purchasing_power_scoring: Literal["shop_average", "absolute"] = Field(
        default="shop_average",
        description="shop_average: bands relative to the fitted shop average order value; absolute: "
        "shop.average_order_value. Without a fitted model, absolute.",
    )
    calibrated: bool = Field(
        default=True, description="Use the calibrated model on the engine's features when the fit has one."
    )
    refit_every_hours: float = Field(
        default=24, gt=0, le=24 * 90, description="How often `comeback refit` fits anew and publishes the model."
    )
    min_buyers_to_fit: int = Field(default=50, ge=2, description="Fewer buyers: no model (scores stay empty).")
    ridge: float = Field(default=1.0, ge=0, description="L2 weight of the calibrated model's coefficients.")
    training_splits: int = Field(
        default=3, ge=1, le=12, description="Time splits one horizon apart pooled to train the calibrated model."
    )
    min_training_horizon_days: int = Field(
        default=14,
        ge=1,
        description="When the history one horizon back is too thin, the calibrated model trains on a horizon "
        "halved until this many days (BG/NBD's scores at that horizon; the model corrects them, so it carries).",
    )
    targeted: tuple[TriggerType, ...] = Field(
        default=("lifecycle_wakeup",),
        description="Trigger types aimed by the scores (wake-ups and win-backs): with a fitted model they carry "
        "the customer's scores in facts, are suppressed below the skip thresholds and get a smaller offer below "
        "the downweight one.",
    )
    skip_below_probability: float = Field(
        default=0, ge=0, le=1, description="Wake-ups and win-backs skip customers less likely than this to order."
    )
    skip_below_expected_spend: float = Field(
        default=0, ge=0, description="... or expected to spend less than this within the horizon (shop currency)."
    )
    downweight_below_probability: float = Field(
        default=0.1, ge=0, le=1, description="Below this probability a targeted trigger's offer is smaller ..."
    )
    downweight_factor: float = Field(default=0.5, ge=0, le=1, description="... its value times this (1 = full).")
    probability_bands: tuple[float, float] = Field(
        default=(0.2, 0.5), description="Probability band: low below the first, high from the second."
    )

    @model_validator(mode="after")
    def _bands(self) -> ComebackPolicy:
        low, high = self.probability_bands
        if not 0 <= low < high <= 1:
            raise ValueError("probability_bands must be 0 <= low < high <= 1")
        return self


class LimitsPolicy(_Section):
    """Bounds that keep one customer's state small."""

    remembered_event_ids: int = Field(default=256, ge=16)
    remembered_views: int = Field(default=50, ge=1)
    remembered_orders: int = Field(default=100, ge=1)
    remembered_favorites: int = Field(default=50, ge=1)
    remembered_fact_changes: int = Field(
        default=8, ge=1, description="Earlier values kept per profile fact, for decisions made as of a past moment."
    )
    remembered_triggers: int = Field(default=64, ge=8, description="Recent trigger ids, so none fires twice.")
    watchers_per_product: int = Field(default=100_000, ge=1, description="Customers a product alerts at most.")
    remembered_product_alerts: int = Field(
        default=64, ge=1, description="Recent alerts per product, for watchers whose interest arrives late."
    )
    cycle_lookups_per_order: int = Field(
        default=20, ge=1, description="Products of one order asked for their catalog cycle, every category first."
    )


def _check_offer(offer: Offer, where: str) -> None:
    if offer.kind in ("none", "content"):
        return
    if offer.value is None or offer.valid_days is None:
        raise ValueError(f"{where}: a {offer.kind} offer needs a value and valid_days")
    if offer.kind in ("percent_off", "pack") and offer.value > 100:
        raise ValueError(f"{where}: a {offer.kind} offer's value is a percentage, at most 100")


class Policy(_Section):
    version: str = Field(default="default", min_length=1, max_length=64, description="Name you give this policy.")
    lifecycle: LifecyclePolicy = LifecyclePolicy()
    tiers: TierPolicy = TierPolicy()
    rfm: RfmPolicy = RfmPolicy()
    segments: SegmentPolicy = SegmentPolicy()
    shop: ShopPolicy = ShopPolicy()
    price_sensitivity: PriceSensitivityPolicy = PriceSensitivityPolicy()
    affinity: AffinityPolicy = AffinityPolicy()
    repurchase: RepurchasePolicy = RepurchasePolicy()
    browsing: BrowsingPolicy = BrowsingPolicy()
    browse_followup: BrowseFollowupPolicy = BrowseFollowupPolicy()
    lifecycle_wakeup: LifecycleWakeupPolicy = LifecycleWakeupPolicy()
    welcome: WelcomePolicy = WelcomePolicy()
    usage_guide: UsageGuidePolicy = UsageGuidePolicy()
    replenishment: ReplenishmentPolicy = ReplenishmentPolicy()
    cross_sell: CrossSellPolicy = CrossSellPolicy()
    tier_upgrade: TierUpgradePolicy = TierUpgradePolicy()
    churn_warning: ChurnWarningPolicy = ChurnWarningPolicy()
    birthday: BirthdayPolicy = BirthdayPolicy()
    product_alerts: ProductAlertsPolicy = ProductAlertsPolicy()
    comeback: ComebackPolicy = ComebackPolicy()
    contact: ContactPolicy = ContactPolicy()
    limits: LimitsPolicy = LimitsPolicy()
    intake: IntakePolicy = IntakePolicy()
    model: ShopModel | None = Field(
        default=None,
        description="The shop's fitted repurchase model (COMEBACK_MODEL_FILE, not the policy file), set with the "
        "shop-relative cut points by effective_policy: the scores profiles carry and targeted triggers use.",
    )

    @model_validator(mode="after")
    def _offers_have_values(self) -> Policy:
        """Every offer that gives something says how much and for how long (content and none give nothing)."""
        for section_name in type(self).model_fields:
            section = getattr(self, section_name)
            if not isinstance(section, BaseModel):
                continue
            for field_name in type(section).model_fields:
                value = getattr(section, field_name)
                offers = value.items() if isinstance(value, dict) else [(field_name, value)]
                for name, offer in offers:
                    if isinstance(offer, Offer):
                        _check_offer(offer, f"{section_name}.{field_name}" + (f".{name}" if name != field_name else ""))
        return self

    @cached_property
    def fingerprint(self) -> str:
        """``version+hash``: names the exact numbers a decision was made with."""
        digest = hashlib.sha256(json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()
        return f"{self.version}+{digest[:8]}"
