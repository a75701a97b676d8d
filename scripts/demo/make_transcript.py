"""Write the offline demo's transcript to match the bundled candles (run once; its output is committed as
signalcord/demo_transcript.json). It looks for an hour in the bundled 1-minute data where a BTC long reaches two
targets, an ETH short reaches its first target and a SOL long is stopped out, then writes calls with prices taken
from those candles, an update that moves the BTC stop to its entry, a message that is only an opinion (never
traded) and a late call that the chase guard skips. Usage: python scripts/demo/make_transcript.py"""

from __future__ import annotations

import json
from pathlib import Path

from core.market.prices import CANDLE_DIR, candle_file, read_candles

OUT = Path(__file__).resolve().parents[2] / "signalcord" / "demo_transcript.json"


def _series(symbol: str) -> list:
    path = candle_file(symbol, CANDLE_DIR)
    assert path is not None, symbol
    return read_candles(path, symbol)


def _first(bars: list, start: int, span: int, up: float, down: float) -> str | None:
    """Which level the candles after `start` reach first within `span` minutes: "up", "down" or None."""
    base = bars[start].close
    for bar in bars[start + 1:start + 1 + span]:
        if bar.low <= base * (1 + down):
            return "down"
        if bar.high >= base * (1 + up):
            return "up"
    return None


def find_window() -> int:
    btc, eth, sol = _series("BTC/USDT"), _series("ETH/USDT"), _series("SOL/USDT")
    for i in range(0, len(btc) - 120):
        if (_first(btc, i, 40, 0.006, -0.005) == "up" and _first(eth, i + 3, 40, 0.005, -0.004) == "down"
                and _first(sol, i + 6, 40, 0.006, -0.006) == "down"):
            return i
    raise SystemExit("no window fits")


def main() -> None:
    btc, eth, sol, xrp = (_series(s) for s in ("BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT"))
    i = find_window()
    b, e, s = btc[i].close, eth[i + 3].close, sol[i + 6].close
    late = xrp[i + 20].close
    messages = [
        (0, f"BTC/USDT LONG\nEntry: {b * 0.9995:.1f} - {b * 1.0005:.1f}\nTP1: {b * 1.003:.1f}\n"
            f"TP2: {b * 1.006:.1f}\nSL: {b * 0.995:.1f}\nLeverage: 10x", None),
        (3, f"ETH/USDT SHORT entry {e * 0.9995:.2f}-{e * 1.0005:.2f} TP1 {e * 0.996:.2f} TP2 {e * 0.99:.2f} "
            f"SL {e * 1.005:.2f} 10x", None),
        (6, f"SOL/USDT LONG Entry: {s * 0.9995:.3f} - {s * 1.0005:.3f} Targets: {s * 1.006:.3f} / "
            f"{s * 1.012:.3f} Stop: {s * 0.994:.3f} Leverage 5x", None),
        (9, "BTC looking strong today, might pump soon", None),
        (14, "Move SL to entry", 1),
        (20, f"XRP/USDT LONG entry {late * 0.97:.4f}-{late * 0.975:.4f} TP1 {late * 0.99:.4f} "
             f"SL {late * 0.96:.4f} 5x", None),
    ]
    transcript = {
        "note": "Demo calls written to match the bundled candles (scripts/demo/make_transcript.py).",
        "start_ms": btc[i].ts_ms + 60_000,  # just after that minute closed
        "messages": [{"id": n, "after_min": at, "text": text, "reply_to": reply}
                     for n, (at, text, reply) in enumerate(messages, 1)],
    }
    OUT.write_text(json.dumps(transcript, indent=2) + "\n", encoding="utf-8")
    print(f"window at minute {i} ({btc[i].ts_ms}); wrote {OUT}")


if __name__ == "__main__":
    main()
