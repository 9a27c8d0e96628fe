"""The `instructions` check family: IFEval's verifiable instructions.

    from harness.scoring.ifeval import Instructions, INSTRUCTION_IDS, validate_kwargs

`check` is the scorer (check type `instructions`); `instructions` holds the instruction ids,
their keyword arguments and the strict / loose evaluation; `checks` and `text` hold the
individual verifiers.
"""

from harness.scoring.ifeval.check import Instructions, InstructionsParams
from harness.scoring.ifeval.instructions import INSTRUCTION_IDS, validate_kwargs

__all__ = ["INSTRUCTION_IDS", "Instructions", "InstructionsParams", "validate_kwargs"]
