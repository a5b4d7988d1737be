"""The report: weekly figures of an event log (pure) and their rendering as one offline HTML file."""
