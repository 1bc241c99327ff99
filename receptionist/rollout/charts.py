"""Charts shared by the reports and the dashboard: matplotlib's object API, safe in request threads.

pyplot keeps global state and is not thread-safe, so nothing here touches it: each chart is its
own `Figure`, drawn with the Agg canvas and returned as PNG bytes or base64 text for `<img>`.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from matplotlib.figure import Figure


def png(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def png_base64(fig: Figure, dpi: int = 100) -> str:
    """The figure as base64 PNG text, ready for a `data:` URL."""
    return base64.b64encode(png(fig, dpi)).decode()


def kpi_change(rows: list[dict[str, Any]]) -> str:
    """Each judged KPI's change against the baseline, green where its 90-day target is met."""
    judged = [r for r in rows if isinstance(r["change"], float) and r["kpi"] != "csat_proxy"]
    fig = Figure(figsize=(8, 3.4), layout="tight")
    ax = fig.add_subplot()
    ax.barh([r["kpi"].replace("_", " ") for r in judged], [r["change"] * 100 for r in judged],
            color=["#3a3" if r["met"] else "#c33" for r in judged])
    ax.axvline(0, color="#444", linewidth=0.8)
    ax.set_xlabel("change against the baseline, % (green: 90-day target met)")
    return png_base64(fig)
