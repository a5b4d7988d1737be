"""The business numbers a marketer may change, validated from a YAML or TOML file.

Defaults are the figures of shared/domain.md; a file only names what it changes.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from functools import cached_property
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = ["BrowseFollowupPolicy", "LifecyclePolicy", "LimitsPolicy", "Policy", "PolicyError", "TierPolicy", "load_policy"]


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


class BrowseFollowupPolicy(_Section):
    """A same-category offer some hours after a view that led to no purchase."""

    enabled: bool = True
    delay_hours: float = Field(default=2, gt=0, le=24 * 30)
    max_products: int = Field(default=5, ge=1, le=50)
    offer_level: int = Field(default=1, ge=0, le=5)


class LimitsPolicy(_Section):
    """Bounds that keep one customer's state small."""

    remembered_event_ids: int = Field(default=256, ge=16)
    remembered_views: int = Field(default=50, ge=1)
    remembered_orders: int = Field(default=100, ge=1)


class Policy(_Section):
    version: str = Field(default="default", min_length=1, max_length=64, description="Name you give this policy.")
    lifecycle: LifecyclePolicy = LifecyclePolicy()
    tiers: TierPolicy = TierPolicy()
    browse_followup: BrowseFollowupPolicy = BrowseFollowupPolicy()
    limits: LimitsPolicy = LimitsPolicy()

    @cached_property
    def fingerprint(self) -> str:
        """``version+hash``: names the exact numbers a decision was made with."""
        digest = hashlib.sha256(json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()
        return f"{self.version}+{digest[:8]}"


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
    try:
        return Policy.model_validate(raw or {})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in exc.errors())
        raise PolicyError(f"policy file {path}: {problems}") from exc
