"""The engine above the rules: one customer's steps (handle_event, advance, hold, release) and the reference run."""
