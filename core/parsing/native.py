"""The parser compiled with mypyc, built beside the virtualenv and loaded only when it matches these sources.

Interpreted, the parser reads about 12,000 messages a second; compiled, about 21,500 (`scripts/bench/parser.py`).
The build is the same code: mypyc compiles the type-checked modules below to C extensions, and
`tests/core/parsing/test_native.py` checks that both read every message the same way.

- `build()` runs at setup (`scripts/lib/setup.sh` calls `signalcord build-parser`). It needs mypy
  (which ships mypyc) and a C compiler; without them the parser stays interpreted and says why.
- `activate()` runs when `core.parsing` is imported. The build lives in `<sys.prefix>/signalcord-native`, never
  next to the sources, and is used only if its recorded digest equals the digest of the sources here, so an
  edited module is never shadowed by a stale build.
- `SIGNALCORD_PARSER`: `auto` (the default: the build when it matches), `python` (never the build: the tests run
  this way so coverage sees the code), or `native` (the build, else ImportError).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

MODULES = ("lexicon", "normalize", "fields", "symbols", "updates", "extras", "signal", "validate", "parser")
HERE = Path(__file__).resolve().parent
BUILD = Path(sys.prefix) / "signalcord-native"
MODES = ("auto", "python", "native")
STATUS = "interpreted"  # what `activate` chose, for logs and the benchmark

_COMPILE = """
import sys, warnings
warnings.simplefilter("ignore")
from setuptools import setup
from mypyc.build import mypycify
paths, out = sys.argv[1:-1], sys.argv[-1]
setup(name="signalcord-parser-native", ext_modules=mypycify(paths, opt_level="3", target_dir="c"),
      script_args=["-q", "build_ext", "--build-lib", out, "--build-temp", "tmp"])
"""


def digest() -> str:
    """The sources, the interpreter and the platform the build must match."""
    sha = hashlib.sha256(f"{sys.version}|{sysconfig.get_platform()}".encode())
    for name in MODULES:
        sha.update((HERE / f"{name}.py").read_bytes())
    return sha.hexdigest()


def problem() -> str | None:
    """Why the build cannot be used, or None."""
    try:
        built = json.loads((BUILD / "manifest.json").read_text(encoding="utf-8"))["digest"]
    except (OSError, ValueError, KeyError, TypeError):
        return f"no compiled build in {BUILD}"
    if built != digest():
        return "the compiled build is older than the sources"
    return None


def activate(package_path: list[str]) -> str:
    """Put the build in front of the package's own modules when it may be used; returns what was chosen."""
    global STATUS
    mode = os.environ.get("SIGNALCORD_PARSER", "auto")
    if mode not in MODES:
        raise ValueError(f"SIGNALCORD_PARSER must be one of {', '.join(MODES)}, not {mode!r}")
    why = "SIGNALCORD_PARSER=python" if mode == "python" else problem()
    if why is not None:
        if mode == "native":
            raise ImportError(f"the compiled parser cannot be used: {why}")
        STATUS = f"interpreted ({why})"
        return STATUS
    lib = BUILD / "lib"
    if str(lib) not in sys.path:
        sys.path.append(str(lib))  # the modules share one runtime library, imported by name
    package_path.insert(0, str(lib / "core" / "parsing"))
    STATUS = "compiled (mypyc)"
    return STATUS


def build(force: bool = False) -> str:
    """Compile the modules unless a matching build exists. Raises RuntimeError with the compiler's words."""
    if not force and problem() is None:
        return f"the compiled parser in {BUILD} is up to date"
    if importlib.util.find_spec("mypyc") is None:
        raise RuntimeError("mypyc is not installed (it comes with mypy: pip install mypy)")
    wanted = digest()
    with tempfile.TemporaryDirectory(prefix="signalcord-native-") as tmp:
        out = Path(tmp) / "lib"
        paths = [str(HERE / f"{name}.py") for name in MODULES]
        done = subprocess.run([sys.executable, "-c", _COMPILE, *paths, str(out)], cwd=tmp,  # noqa: S603
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-5:])
            raise RuntimeError(f"mypyc could not compile the parser:\n{tail}")
        staged = Path(tmp) / "build"
        staged.mkdir()
        out.rename(staged / "lib")
        (staged / "manifest.json").write_text(json.dumps({"digest": wanted}), encoding="utf-8")
        old = BUILD.with_name(BUILD.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if BUILD.exists():
            BUILD.rename(old)
        shutil.move(str(staged), BUILD)
        shutil.rmtree(old, ignore_errors=True)
    return f"compiled the parser into {BUILD}"
