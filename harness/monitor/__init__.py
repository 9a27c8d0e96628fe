"""Watching quality over time: control charts, drift and alerts over run history.

    from harness.monitor import monitor, MonitorConfig
    result = monitor(store, "support-assistant")     # charts, drift, alarms per series
    result.exit_code                                  # 1 when something must be acted on

- `charts`: p-chart, individuals chart, Western Electric rules, EWMA, CUSUM (pure);
- `drift`: PSI and the two-sample Kolmogorov-Smirnov test (pure);
- `history`: a suite's runs as series of comparable runs;
- `core`: the alarms `harness monitor` raises;
- `alerts`: webhook delivery with retries;
- `production`: scored production traffic stored as a monitoring run.
"""

from harness.monitor.core import Alarm, MonitorConfig, MonitorResult, monitor
from harness.monitor.production import store_monitoring_run

__all__ = ["Alarm", "MonitorConfig", "MonitorResult", "monitor", "store_monitoring_run"]
