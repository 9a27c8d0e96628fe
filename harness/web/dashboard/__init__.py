"""The dashboard of `harness serve`: a catalogue of use cases, a suite's history, run and
compare pages (`harness.web.dashboard.routes.routes()`, mounted by `harness.web.app`)."""
