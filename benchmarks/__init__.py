"""Scripts that print figures about the pure core (run with ``python -m benchmarks.<name>``)."""
