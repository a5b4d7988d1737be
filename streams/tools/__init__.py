"""Commands and tools: the CLI, the embedded dev stack, demo, simulator, importer, replay, report, schema export."""
