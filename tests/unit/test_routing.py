"""The engine's partition for a key is the Java client's (murmur2), so any producer can check where a key
belongs; records elsewhere are strays, forwarded to the owner (tests/integration/test_any_partitioner.py)."""

from __future__ import annotations

import pytest

from streams.runtime.routing import owner_partition


@pytest.mark.parametrize(
    ("key", "java_murmur2"),
    [(b"21", -973932308), (b"foobar", -790332482), (b"a-little-bit-long-string", -985981536), (b"abc", 479470107)],
)
def test_the_owner_partition_is_the_java_clients(key: bytes, java_murmur2: int) -> None:
    """Vectors of Kafka's own ``UtilsTest.testMurmur2``; the Java client takes ``murmur2 & 0x7fffffff``."""
    for partitions in (1, 2, 3, 12):
        assert owner_partition(key, partitions) == (java_murmur2 & 0x7FFFFFFF) % partitions
