"""The contact policy: who may be reached, on which channel, when and how often."""
