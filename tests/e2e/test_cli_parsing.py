"""The parser's admin commands: `signalcord parse --explain` and `signalcord provider teach` (issue 17)."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path

import pytest
from bson import ObjectId
from pymongo import MongoClient

from signalcord.cli import main
from tests.core.parsing.test_templates import CORRECTED, ODD


def test_parse_explain_prints_the_record_then_the_reasons(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("BTC LONG 60000 58000 62000 64000"))
    assert main(["parse", "--explain"]) == 0
    out = capsys.readouterr().out.splitlines()
    record = json.loads(out[0])
    assert (record["entries"], record["stop_loss"], record["take_profits"]) == ([60000], 58000, [62000, 64000])
    assert "# pair BTC/USDT: a coin name, or a ticker the venues list, beside the side or in capitals" in out
    assert any(line.startswith("# stop and targets: unlabelled prices placed by consistency") for line in out)
    assert out[-1] == "# result: signal"


def test_provider_teach_stores_the_template_on_the_provider(mongo_url: str, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    name = f"t_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("MONGODB_URI", mongo_url)
    monkeypatch.setenv("SIGNALCORD_DB_NAME", name)
    monkeypatch.setenv("SIGNALCORD_DATA_DIR", str(tmp_path))
    client: MongoClient[dict[str, object]] = MongoClient(mongo_url)
    try:
        provider_id = client[name]["providers"].insert_one(
            {"name": "odd", "channel_id": 99, "enabled": True, "format_hints": {}, "stats": {},
             "format_templates": []}).inserted_id
        message = tmp_path / "message.txt"
        message.write_text(ODD, encoding="utf-8")
        assert main(["provider", "teach", "--provider", str(provider_id), "--message", str(message),
                     "--as", json.dumps(CORRECTED)]) == 0
        assert "taught provider" in capsys.readouterr().out
        stored = client[name]["providers"].find_one({"_id": ObjectId(provider_id)})
        assert stored is not None and len(stored["format_templates"]) == 1  # type: ignore[arg-type]
        bad = main(["provider", "teach", "--provider", str(provider_id), "--message", str(message),
                    "--as", json.dumps({**CORRECTED, "stop_loss": 0.2})])
        assert bad == 1 and "not taught: stop_loss 0.2 is not written in the message" in capsys.readouterr().err
    finally:
        client.drop_database(name)
        client.close()
