"""What identifies the code behind a `python:` model, for the response cache key.

A cached answer is the answer of the code that produced it, so the key of a `python:` model
holds a hash of that code, taken once when the provider is made:

- the file of the module the reference names and of the module defining the function;
- every other module already imported whose file lives under the same project root, so
  editing a helper the function imports also misses the cache. The root is the nearest
  folder above the module's file holding ``pyproject.toml``, ``setup.py``, ``setup.cfg`` or
  ``.git``, failing that the folder its top-level package was imported from. Files of the
  standard library, site-packages and the running virtual environment are not the user's
  code and are left out.

Files are hashed by module name, not path, so the same code checked out elsewhere (another
CI runner) gets the same key. Not covered, so edit them with ``--no-cache``: modules imported
only later (inside the function, on its first call), data files the code reads (prompts,
indexes), installed packages, and the environment. When no source file can be found (a
builtin, an interactive session), the key holds a nonce drawn once per process instead:
answers are reused within one process, never across processes.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import site
import sys
import sysconfig
import time
from collections.abc import Callable, Iterable
from typing import Any

PROCESS_NONCE = secrets.token_hex(8)
ROOT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")
RACY_S = 2.0
_digests: dict[tuple[str, int, int], str] = {}  # (path, mtime_ns, size) -> sha256


def code_scope(function: Callable[..., Any], module_name: str) -> dict[str, str]:
    """``{"code": digest}`` for the cache key of `function`, imported from `module_name`."""
    own = {name: path for name in _own_modules(function, module_name)
           if (path := _module_file(sys.modules.get(name)))}
    if not own:
        return {"code": f"unhashed-process-{PROCESS_NONCE}"}
    anchor = own.get(module_name) or next(iter(own.values()))
    root = project_root(anchor, module_name if module_name in own else "")
    files = {**_modules_under(root), **own}
    lines = sorted(f"{name}\0{digest}" for name, path in files.items()
                   if (digest := file_digest(path)) is not None)
    if not lines:
        return {"code": f"unhashed-process-{PROCESS_NONCE}"}
    return {"code": hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()}


def _own_modules(function: Callable[..., Any], module_name: str) -> list[str]:
    defining = getattr(function, "__module__", None) or type(function).__module__
    return [module_name] + ([defining] if isinstance(defining, str) else [])


def _module_file(module: Any) -> str | None:
    path = getattr(module, "__file__", None)
    if not isinstance(path, str) or not os.path.isfile(path):
        return None
    return os.path.abspath(path)


def project_root(path: str, module_name: str) -> str:
    """The folder holding a project marker above `path`, else the import root."""
    folder = os.path.dirname(path)
    while True:
        if any(os.path.exists(os.path.join(folder, m)) for m in ROOT_MARKERS):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    folder = os.path.dirname(path)
    levels = module_name.count(".") + (os.path.basename(path).startswith("__init__."))
    for _ in range(levels):
        folder = os.path.dirname(folder)
    return folder


def _not_user_code() -> tuple[str, ...]:
    """Folders whose files are never the user's code: the stdlib, site-packages, the venv."""
    paths = sysconfig.get_paths()
    found: list[str] = [paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")
                        if k in paths]
    found += site.getsitepackages() if hasattr(site, "getsitepackages") else []
    found.append(site.getusersitepackages())
    if sys.prefix != sys.base_prefix:  # a virtual environment: nothing in it is the user's
        found.append(sys.prefix)
    return tuple(os.path.abspath(p) + os.sep for p in found if p)


def _modules_under(root: str) -> dict[str, str]:
    inside = os.path.abspath(root) + os.sep
    skip = _not_user_code()
    return {name: path for name, path in _imported_files()
            if path.startswith(inside) and not path.startswith(skip) and name != "__main__"}


def _imported_files() -> Iterable[tuple[str, str]]:
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str):
            yield name, os.path.abspath(path)


def file_digest(path: str) -> str | None:
    """sha256 of the file's bytes (remembered by mtime and size), or None if unreadable."""
    try:
        stat = os.stat(path)
        key = (path, stat.st_mtime_ns, stat.st_size)
        if key in _digests:
            return _digests[key]
        with open(path, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None
    # A file changed in the last seconds may change again without its mtime moving (coarse
    # clocks): remembered only once it has been still for a while, as git does.
    if time.time() - stat.st_mtime > RACY_S:
        _digests[key] = digest
    return digest
