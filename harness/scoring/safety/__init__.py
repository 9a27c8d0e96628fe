"""The safety check family: PII, secrets, prompt injection, policy and refusal.

    from harness.scoring.safety import Pii, Secrets, Injection, Policy, Refusal

The scorers (`pii`, `secrets`, `injection`, `policy`, `refusal`) turn what the detection
engines beside them find into Scores; `harness.guard` turns the same findings into allow /
redact / block / escalate decisions through the engines' public functions re-exported here,
so both paths give the same answer for the same text. Everything is pure Python and offline.
"""

from harness.scoring.safety.findings import SEVERITY_RANK, Finding, Severity, at_least
from harness.scoring.safety.injection import Injection
from harness.scoring.safety.injection_model import predict as injection_probability
from harness.scoring.safety.pii import Pii
from harness.scoring.safety.pii_detect import MAX_FINDINGS, PATTERN_TYPES, SHAPE_ONLY
from harness.scoring.safety.pii_leaks import scan, split_leaks, supplied_keys
from harness.scoring.safety.policy import Policy, PolicyParams, find_violations
from harness.scoring.safety.refusal import Refusal
from harness.scoring.safety.secrets import Secrets
from harness.scoring.safety.secrets_detect import detect_secrets

__all__ = [
    "MAX_FINDINGS", "PATTERN_TYPES", "SEVERITY_RANK", "SHAPE_ONLY", "Finding", "Injection",
    "Pii", "Policy", "PolicyParams", "Refusal", "Secrets", "Severity", "at_least",
    "detect_secrets", "find_violations", "injection_probability", "scan", "split_leaks",
    "supplied_keys",
]
