"""Pure functions of (state, event or timer, now, policy): no I/O, no clock, no randomness."""
