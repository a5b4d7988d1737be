"""The comeback engine: functional core (core/, rules/) and its Faust shell."""
