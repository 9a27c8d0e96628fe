"""Detection engines behind the safety scorers and `harness.guard`.

The scorers (`harness.scoring.pii`, `secrets`, `injection`, `policy`, `refusal`) turn what
these engines find into Scores; `harness.guard` turns the same findings into allow / redact /
block / escalate decisions. Keeping the engines here means both paths give the same answer
for the same text. Everything is pure Python and works offline.
"""
