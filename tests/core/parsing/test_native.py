"""The compiled parser (mypyc) reads every message exactly as the sources do, and a stale build is never used."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from core.parsing import ParseContext, native, parse

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "signals-public.jsonl"
CONTEXTS = (ParseContext(), ParseContext(default_quote="BTC", prices_in_satoshis=True),
            ParseContext(default_leverage=5.0, reply_to=77))
POOL = "0123456789.,-_:x%$#()/@ \n\n\tTPSLlongshortentry✅🚀⛔️①АВЕКМНОРСТХУаеорсухлонгшорт*`<>[]|~=+k"
CHILD = """
import json, sys
from core.parsing import ParseContext, native, parse
import core.parsing.fields as fields
contexts = [ParseContext(**c) for c in json.loads(sys.argv[1])]
print(json.dumps([native.STATUS, fields.__file__]))
for line in sys.stdin:
    text, n = json.loads(line)
    print(json.dumps(repr(parse(text, contexts[n]))))
"""


def _mutate(rng: random.Random, text: str) -> str:
    for _ in range(rng.randint(1, 6)):
        at = rng.randrange(len(text) + 1)
        op = rng.randrange(5)
        if op == 0:
            text = text[:at] + "".join(rng.choice(POOL) for _ in range(rng.randint(1, 8))) + text[at:]
        elif op == 1:
            text = text[:at] + text[at + rng.randint(1, 20):]
        elif op == 2:
            text = text[:at] + text[at:at + 40] + text[at:]
        elif op == 3:
            text = text.replace("\n", " ")  # line breaks lost
        else:
            text = text[:at] + text[at:at + 30].swapcase() + text[at + 30:]
    return text


def _texts() -> list[str]:
    corpus = [json.loads(line)["text"] for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    rng = random.Random(20261122)
    mutated = [_mutate(rng, rng.choice(corpus)) for _ in range(1500)]
    noise = ["".join(rng.choice(POOL) for _ in range(rng.randint(0, 300))) for _ in range(300)]
    long = ["".join(rng.choice(POOL) for _ in range(4096)) for _ in range(5)] + ["1." * 2048, "BTC/USDT long " * 292]
    return corpus + mutated + noise + long


def test_the_compiled_parser_reads_every_message_as_the_sources_do() -> None:
    try:
        native.build()  # nothing to do when setup built it already
    except RuntimeError as exc:
        pytest.skip(f"this machine cannot compile the parser, which then runs interpreted: {exc}")
    items = [(text, n % len(CONTEXTS)) for n, text in enumerate(_texts())]
    contexts = [asdict(c) for c in CONTEXTS]
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(contexts)], input="".join(json.dumps(i) + "\n" for i in items),
        capture_output=True, text=True, check=True, env={**os.environ, "SIGNALCORD_PARSER": "native"})
    first, *lines = done.stdout.splitlines()
    status, module = json.loads(first)
    assert status == "compiled (mypyc)" and module.endswith(".so"), (status, module)
    compiled = [json.loads(line) for line in lines]
    interpreted = [repr(parse(text, CONTEXTS[n])) for text, n in items]
    assert len(compiled) == len(interpreted)
    different = [(items[i][0][:80], a, b) for i, (a, b) in enumerate(zip(compiled, interpreted, strict=True)) if a != b]
    assert not different, different[:3]
    kinds = {result.split("(", 1)[0] for result in interpreted}
    assert {"NewSignal", "SignalUpdate", "RejectedSignal", "Noise"} <= kinds


@pytest.fixture
def build_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(native, "BUILD", tmp_path)
    monkeypatch.setattr(native, "STATUS", native.STATUS)
    monkeypatch.setattr(sys, "path", list(sys.path))
    return tmp_path


def test_a_build_is_used_only_when_it_matches_the_sources(build_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNALCORD_PARSER", "auto")
    path: list[str] = ["/src/core/parsing"]
    assert native.activate(path).startswith("interpreted (no compiled build")
    (build_dir / "manifest.json").write_text(json.dumps({"digest": "0" * 64}), encoding="utf-8")
    assert native.activate(path) == "interpreted (the compiled build is older than the sources)"
    assert path == ["/src/core/parsing"]
    monkeypatch.setenv("SIGNALCORD_PARSER", "native")
    with pytest.raises(ImportError, match="older than the sources"):
        native.activate(path)
    (build_dir / "manifest.json").write_text(json.dumps({"digest": native.digest()}), encoding="utf-8")
    assert native.activate(path) == "compiled (mypyc)"
    assert path == [str(build_dir / "lib" / "core" / "parsing"), "/src/core/parsing"]
    assert str(build_dir / "lib") in sys.path


def test_the_build_can_be_turned_off_and_a_wrong_setting_is_refused(build_dir: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    (build_dir / "manifest.json").write_text(json.dumps({"digest": native.digest()}), encoding="utf-8")
    path: list[str] = []
    monkeypatch.setenv("SIGNALCORD_PARSER", "python")
    assert native.activate(path) == "interpreted (SIGNALCORD_PARSER=python)" and path == []
    monkeypatch.setenv("SIGNALCORD_PARSER", "fast")
    with pytest.raises(ValueError, match="SIGNALCORD_PARSER must be one of auto, python, native, not 'fast'"):
        native.activate(path)
