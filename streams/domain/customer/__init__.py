"""The customer: state, the fold that builds it, and everything derived from it (profile, segments, habits, interest)."""
