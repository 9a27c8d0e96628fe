"""The dashboard of `harness serve`: a catalogue of use cases, a suite's history, run and
compare pages (`harness.dashboard.web.routes()`, mounted by `harness.web.app`)."""
