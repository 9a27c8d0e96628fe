"""Where `python:module:function` finds `module`, whichever way harness was started.

`python -m harness` puts the working directory on `sys.path`; the `harness` script and pytest
do not, so a module next to the suite imported in one and not the other. The top-level
package of a `python:` reference is looked for, in this order:

1. the folder of the suite being run (`suite_folder`), so a suite and its code travel together;
2. the working directory;
3. `sys.path` as it is (installed packages, `PYTHONPATH`).

A module found in 1 or 2 wins over an installed one of the same name, as a script's own folder
does in Python. Its folder is then *appended* to `sys.path` (never prepended), so the
module's own imports of its neighbours work, also when made later inside the function,
while no module imported from elsewhere can be shadowed by a file in that folder. A name
already imported from somewhere else (`code.py` beside the suite, the standard library's
`code` already loaded) is a configuration error naming both files, not a silent mix-up.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

from harness.errors import ProviderConfigError

_SUITE_FOLDERS: ContextVar[tuple[str, ...]] = ContextVar("harness_suite_folders", default=())


@contextlib.contextmanager
def suite_folder(suite_path: str | Path | None) -> Iterator[None]:
    """`python:` models made inside the block look for their module next to `suite_path`."""
    folders = () if suite_path is None else (str(Path(suite_path).resolve().parent),)
    token = _SUITE_FOLDERS.set(folders)
    try:
        yield
    finally:
        _SUITE_FOLDERS.reset(token)


def search_folders() -> list[str]:
    """The suite's folder (when one is set), then the working directory; no duplicates."""
    out: list[str] = []
    for folder in (*_SUITE_FOLDERS.get(), os.getcwd()):
        folder = os.path.abspath(folder)
        if folder not in out:
            out.append(folder)
    return out


def import_user_module(name: str) -> ModuleType:
    """Import `name` (``pkg.mod``), its top-level package found as the module docstring says."""
    top = name.partition(".")[0]
    found = _local_spec(top)
    if found is not None:
        folder, spec = found
        if top in sys.modules:
            _same_module(top, spec)
        else:
            if folder not in sys.path:
                sys.path.append(folder)
            if spec.origin is not None and spec.has_location:  # a namespace package: sys.path
                _execute(top, spec)
    return importlib.import_module(name)


def _local_spec(top: str) -> tuple[str, ModuleSpec] | None:
    """The first search folder holding `top` (a module or package; a bare folder, a
    namespace package, only when no folder holds a real one)."""
    namespace: tuple[str, ModuleSpec] | None = None
    for folder in search_folders():
        spec = importlib.machinery.PathFinder.find_spec(top, [folder])
        if spec is None:
            continue
        if spec.origin is not None and spec.has_location:
            return folder, spec
        namespace = namespace or (folder, spec)
    return namespace


def _execute(top: str, spec: ModuleSpec) -> None:
    module = importlib.util.module_from_spec(spec)
    sys.modules[top] = module
    try:
        assert spec.loader is not None
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(top, None)
        raise


def _same_module(top: str, spec: ModuleSpec) -> None:
    """`top` is imported already: fine when from the file found, an error otherwise."""
    if spec.origin is None or not spec.has_location:
        return
    loaded = getattr(sys.modules[top], "__file__", None)
    if loaded and os.path.exists(loaded) and os.path.samefile(loaded, spec.origin):
        return
    where = loaded or "built into Python"
    raise ProviderConfigError(
        f"module {top!r} is already imported from {where}, so {spec.origin} cannot be "
        "imported under that name: rename it")
