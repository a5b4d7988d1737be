"""The Faust shell: the app built at start-up, the customer and product handlers, tickers, intake, event-time coordination."""
