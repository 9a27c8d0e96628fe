"""The review queue's pages: `routes` (list, item, decide, stats), `view` (the plain data both
the page and the terminal show) and `fmt` (number and time formatting for templates)."""
