"""Internals of the `grounding` check: claims, evidence, citations, abstention, verdicts.

Private (leading underscore) so the scorer registry does not import it as a scorer module;
`harness.scoring.grounding` is the public door.
"""
