"""Human review (DESIGN.md section 8): routing, the queue, decisions, overrides, agreement.

    from harness.review.routing import route_run          # which results a person must see
    from harness.review.queue import claim_next           # an expiring, atomic reservation
    from harness.review.decisions import decide, Decision # approve / reject / correct
    from harness.review.decisions import undo             # revoke one (kept, verdict recomputed)
    from harness.review.overrides import human_verdicts   # what summaries and gates apply

Human decisions are separate records layered on top of the automatic scores, which are
never rewritten. The web app lives in `harness.web.review.routes` (mounted by `harness.web.app`).
"""
