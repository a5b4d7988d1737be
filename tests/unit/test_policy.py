"""The policy file: the shipped example is the defaults; a wrong file says which field is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from streams.config import PolicyError, load_policy
from streams.domain.contact.policy import TRIGGER_TYPES, CapPolicy, ContactPolicy, SlotPolicy, TypeContactPolicy
from streams.domain.policy import Policy

EXAMPLE = Path(__file__).resolve().parents[2] / "policy.example.yaml"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_file_lists_exactly_the_defaults() -> None:
    assert load_policy(EXAMPLE) == Policy()


def test_the_example_file_names_every_field() -> None:
    """Each field appears as a key, so the example doubles as the reference."""
    text = EXAMPLE.read_text(encoding="utf-8")
    for section, field in Policy.model_fields.items():
        assert f"{section}:" in text, section
        for name in getattr(field.annotation, "model_fields", {}):
            assert f"\n  {name}:" in text, f"{section}.{name}"


def test_the_example_file_names_every_field_of_every_contact_type_slot_and_cap() -> None:
    """The contact section is nested one level deeper than the rest: each type, slot and cap names all its fields."""
    contact = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))["contact"]
    assert set(contact) == set(ContactPolicy.model_fields)
    assert set(contact["types"]) == set(TRIGGER_TYPES)
    for name, settings in contact["types"].items():
        assert set(settings) == set(TypeContactPolicy.model_fields), name
    for name, slot in contact["slots"].items():
        assert set(slot) == set(SlotPolicy.model_fields), name
    for cap in contact["caps"]:
        assert set(cap) == set(CapPolicy.model_fields), cap


def test_no_file_means_the_defaults() -> None:
    assert load_policy(None) == Policy()


def test_a_file_names_only_what_it_changes(tmp_path: Path) -> None:
    policy = load_policy(_write(tmp_path, "p.yaml", "tiers:\n  vip_single_order: 200\n"))
    assert policy.tiers.vip_single_order == 200
    assert policy.tiers.super_vip_single_order == Policy().tiers.super_vip_single_order
    assert policy.lifecycle == Policy().lifecycle


def test_a_toml_policy_loads(tmp_path: Path) -> None:
    text = 'version = "spring-sale"\n\n[browse_followup]\ndelay_hours = 1.5\nmax_products = 3\n'
    policy = load_policy(_write(tmp_path, "p.toml", text))
    assert policy.version == "spring-sale"
    assert (policy.browse_followup.delay_hours, policy.browse_followup.max_products) == (1.5, 3)
    assert policy.fingerprint.startswith("spring-sale+")


@pytest.mark.parametrize(
    ("name", "text", "named"),
    [
        ("super-below-vip.yaml", "tiers:\n  vip_single_order: 400\n", "super_vip_single_order"),
        ("unknown-key.yaml", "tiers:\n  vip_treshold: 100\n", "tiers.vip_treshold"),
        ("unknown-section.yaml", "limit:\n  remembered_views: 10\n", "limit"),
        ("lifecycle-order.yaml", "lifecycle:\n  sleeping_after_days: 80\n", "sleeping"),
        ("negative.yaml", "tiers:\n  vip_coupon: -5\n", "tiers.vip_coupon"),
        ("bad-value.toml", "[browse_followup]\ndelay_hours = 0\n", "browse_followup.delay_hours"),
        ("bad-type.toml", '[limits]\nremembered_views = "many"\n', "limits.remembered_views"),
    ],
)
def test_a_wrong_policy_names_the_field(tmp_path: Path, name: str, text: str, named: str) -> None:
    path = _write(tmp_path, name, text)
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    assert named in str(error.value)
    assert str(path) in str(error.value)


@pytest.mark.parametrize(
    ("name", "text"),
    [("broken.yaml", "tiers: [unclosed\n"), ("broken.toml", "[tiers\nvip_coupon = 1\n")],
)
def test_an_unreadable_file_is_a_policy_error(tmp_path: Path, name: str, text: str) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(_write(tmp_path, name, text))


def test_a_missing_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "absent.yaml")
