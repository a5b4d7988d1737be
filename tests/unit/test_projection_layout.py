"""The Redis layout's pure parts: a profile's tags and its hash encoding."""

from __future__ import annotations

from datetime import date

from factories import T0, days, profile

from schemas.events import Channel
from schemas.profile import PredictedPurchase
from streams.adapters.redis_view import TAGS, decode_profile, encode_profile, profile_key, profile_tags, tag_key


def test_tags_cover_every_indexed_field_in_order_without_repeats() -> None:
    tagged = profile(
        lifecycle="sleeping",
        tier="vip",
        segments=("price_sensitive", "high_value", "price_sensitive"),
        purchasing_power="high",
        price_sensitivity="medium",
        top_categories=("yoga", "running"),
    )
    assert profile_tags(tagged) == (
        "lifecycle:sleeping",
        "tier:vip",
        "segment:price_sensitive",
        "segment:high_value",
        "purchasing_power:high",
        "price_sensitivity:medium",
        "category:yoga",
        "category:running",
    )
    assert {tag.split(":", 1)[0] for tag in profile_tags(tagged)} == set(TAGS)


def test_a_profile_without_segments_or_categories_has_only_the_single_valued_tags() -> None:
    assert profile_tags(profile(segments=(), top_categories=())) == (
        "lifecycle:active",
        "tier:member",
        "purchasing_power:medium",
        "price_sensitivity:low",
    )


def test_keys_follow_the_documented_layout() -> None:
    assert profile_key("comeback:", "c-1") == "comeback:profile:c-1"
    assert tag_key("comeback:", "category", "yoga") == "comeback:tag:category:yoga"


def test_scalars_are_plain_strings_and_collections_json_and_nulls_left_out() -> None:
    fields = encode_profile(profile(revision=7, follows_shop=True, consents={Channel.SMS: False}))
    assert fields["customer_id"] == "c1"
    assert fields["lifecycle"] == "active"
    assert fields["revision"] == "7"
    assert fields["total_spent"] == "100.0"
    assert fields["follows_shop"] == "true"
    assert fields["last_order_at"] == "2025-03-03T09:30:00Z"
    assert fields["segments"] == '["potential"]'
    assert fields["consents"] == '{"sms": false}'
    assert "timezone" not in fields and "birthday" not in fields


def test_the_hash_encoding_round_trips_every_field() -> None:
    full = profile(
        customer_id="123",
        follows_shop=False,
        timezone="Asia/Shanghai",
        birthday=date(1990, 5, 17),
        consents={Channel.SMS: True, Channel.PUSH: False},
        top_brands=("acme", "true"),
        next_purchases=(
            PredictedPurchase(category="yoga", interval_days=30.5, last_purchase_at=T0, due_at=T0 + days(30.5)),
        ),
        discount_share=1e-05,
        favorites_unbought=("p9",),
    )
    assert decode_profile(encode_profile(full)) == full
    sparse = profile(first_order_at=None, last_order_at=None, days_since_last_order=None, order_count=0)
    assert decode_profile(encode_profile(sparse) | {"_tags": "[]"}) == sparse
