"""The comeback engine, in layers: domain -> rules -> engine -> runtime and adapters -> tools (docs/architecture.md)."""
