"""The P&L chart as a PNG (matplotlib, headless Agg backend). Rendering is CPU work: callers run it in a worker
thread (`asyncio.to_thread`) so the event loop keeps serving Discord and the engine."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from core.api.views import PnlView


def pnl_png(view: PnlView) -> bytes:
    """Bars per day (green profit, red loss) and the running total as a line."""
    figure: Figure = plt.figure(figsize=(8, 3.6), dpi=100)
    try:
        axes = figure.add_subplot()
        labels = [day[5:] for day, _ in view.days]
        values = [pnl for _, pnl in view.days]
        axes.bar(labels, values, color=["#2e7d32" if v >= 0 else "#c62828" for v in values])
        running, total = [], 0.0
        for value in values:
            total += value
            running.append(total)
        axes.plot(labels, running, color="#455a64", marker="o", linewidth=1.5, label="running total")
        axes.axhline(0, color="#9e9e9e", linewidth=0.8)
        axes.set_title(f"Realised P&L ({view.period}): {view.total:+,.2f} over {view.trades} trade(s)")
        axes.legend(loc="upper left")
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(figure)
