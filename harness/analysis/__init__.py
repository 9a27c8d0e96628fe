"""Analysis of stored runs: statistics, metrics, comparison, the gate, SLOs and monitoring.

Everything here reads scored results through `harness.store` and returns plain records;
nothing here calls a model or prints.

- `stats`: intervals, tests and the normal distribution (pure);
- `metrics`: a run's metrics with explicit denominators (pass rate, per-check rates, ...);
- `summary`: a run's summary as plain data (what reports and `harness runs` show);
- `compare`: two runs case by case, paired statistics;
- `gate`: pass / fail / inconclusive against a baseline;
- `slo`: SLO sheets;
- `side_by_side`: the models of one run as columns;
- `monitor`: control charts, drift and alarms over a suite's history.
"""
