"""Watching quality over time: control charts, drift and alerts over run history.

    from harness.analysis.monitor import monitor, MonitorConfig
    result = monitor(store, "support-assistant")     # charts, drift, alarms per series
    result.exit_code                                  # 1 when something must be acted on

- `charts`: p-chart, individuals chart, Western Electric rules, EWMA, CUSUM (pure);
- `drift`: PSI and the two-sample Kolmogorov-Smirnov test (pure);
- `history`: a suite's runs as series of comparable runs;
- `core`: the alarms `harness monitor` raises;
- `alerts`: webhook delivery with retries;
"""

from harness.analysis.monitor.core import Alarm, MonitorConfig, MonitorResult, monitor

__all__ = ["Alarm", "MonitorConfig", "MonitorResult", "monitor"]
