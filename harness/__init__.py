"""harness: evaluate and guard LLM applications.

The CLI (`harness ...`) is a thin layer over this library: load a suite with
`harness.suites.load_suite`, run it with `harness.pipeline.runner.run_suite`, read results from
`harness.store`.
"""

__version__ = "0.1.0"
