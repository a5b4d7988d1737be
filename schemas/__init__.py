"""Versioned contracts: the events we accept, the triggers we emit, and the topics that carry them."""
