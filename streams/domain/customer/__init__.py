"""The customer: state, the fold that builds it, and what is derived from it (profile, segments, habits, interest)."""
