"""The Faust shell: the app built at start-up, customer and product handlers, tickers, intake, event time."""
