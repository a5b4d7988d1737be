"""The producer SDK that platform teams import to send valid, keyed, routed events."""
