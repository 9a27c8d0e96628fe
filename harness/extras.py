"""How to install an optional extra (`[web]`, `[local]`, `[ml]`, `[ner]`): one wording for
every hint, so no message sends a user to the wrong package.

`harness` on PyPI is an unrelated project: asking pip for `harness` with an extra installs it.
This project installs from its checkout (README, quick start), so every hint says so.
"""

from __future__ import annotations


def install_command(extra: str) -> str:
    """The command that adds `extra` to an install made from the checkout."""
    return f"pip install -e '.[{extra}]'"


def install_hint(extra: str) -> str:
    """``install the [web] extra from the harness checkout: pip install -e '.[web]' ...``"""
    return (f"install the [{extra}] extra from the harness checkout: "
            f"{install_command(extra)} (the `harness` on PyPI is another project)")
