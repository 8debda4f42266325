"""Charts of a system's figures (PNG bytes): volume by JST hour, by day, and by employment type.

matplotlib with the Agg backend (no display) and the IPAexGothic TTF shipped in the matplotlib-fontja
package, so Japanese labels render on any machine without system fonts. The PDF uses the same file.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib.figure import Figure

EMPLOYMENT_LABELS = {
    "own_employee": "自社社員 own employee",
    "contractor": "委託 contractor",
    "affiliate": "特定関係事業者 affiliate",
    "seconded": "出向 seconded",
    "external": "外部 external",
    "unknown": "不明 unknown",
}
WEEKDAYS_JA = ("月", "火", "水", "木", "金", "土", "日")
BAR = "#3b6ea5"
DPI = 120
ALERT = "#c0392b"


@cache
def font_path() -> Path:
    """The IPAexGothic TTF inside the matplotlib-fontja package."""
    import matplotlib_fontja

    path = Path(matplotlib_fontja.__file__).parent / "fonts" / "ipaexg.ttf"
    if not path.exists():
        raise FileNotFoundError(f"IPAexGothic font not found at {path} (package matplotlib-fontja)")
    return path


@cache
def _font_properties() -> font_manager.FontProperties:
    font_manager.fontManager.addfont(str(font_path()))
    return font_manager.FontProperties(fname=str(font_path()))


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    # Fixed margins instead of bbox_inches="tight" (which draws every chart twice); light compression:
    # a report has dozens of charts and the PDF compresses the images again anyway.
    figure.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def _figure(width: float = 7.0, height: float = 2.4, left: float = 0.09) -> tuple[Figure, Any]:
    figure = Figure(figsize=(width, height))
    axes = figure.subplots()
    figure.subplots_adjust(left=left, right=0.98, top=0.86, bottom=0.16)
    axes.spines[["top", "right"]].set_visible(False)
    return figure, axes


def _label_fonts(axes: Any) -> None:
    prop = _font_properties()
    for label in [
        *axes.get_xticklabels(),
        *axes.get_yticklabels(),
        axes.title,
        axes.xaxis.label,
        axes.yaxis.label,
    ]:
        label.set_fontproperties(prop)


def hourly_chart(by_hour: list[int], title: str) -> bytes:
    """Events per JST hour of day over the period."""
    figure, axes = _figure()
    axes.bar(range(24), by_hour, color=BAR)
    axes.set_xticks(range(0, 24, 2), [f"{h}時" for h in range(0, 24, 2)])
    axes.set_title(title)
    axes.set_ylabel("件数 events")
    _label_fonts(axes)
    return _png(figure)


def daily_chart(by_day: list[list[Any]], empty_days: list[str], title: str) -> bytes:
    """Events per JST day; days flagged as missing logs in red."""
    import datetime as dt

    figure, axes = _figure()
    labels = []
    for day_text, _count in by_day:
        day = dt.date.fromisoformat(day_text)
        labels.append(f"{day.month}/{day.day}({WEEKDAYS_JA[day.weekday()]})")
    colors = [ALERT if day in empty_days else BAR for day, _count in by_day]
    axes.bar(range(len(by_day)), [count for _day, count in by_day], color=colors)
    axes.set_xticks(range(len(by_day)), labels)
    axes.set_title(title)
    axes.set_ylabel("件数 events")
    _label_fonts(axes)
    return _png(figure)


def employment_chart(by_type: dict[str, int], title: str) -> bytes:
    """Events by the employment type of the account's owner (horizontal bars)."""
    figure, axes = _figure(height=max(1.6, 0.4 * len(by_type) + 0.8), left=0.3)
    items = sorted(by_type.items(), key=lambda item: item[1])
    axes.barh(range(len(items)), [n for _k, n in items], color=BAR)
    axes.set_yticks(range(len(items)), [EMPLOYMENT_LABELS.get(k, k) for k, _n in items])
    axes.set_title(title)
    axes.set_xlabel("件数 events")
    _label_fonts(axes)
    return _png(figure)


def system_charts(code: str, name_ja: str, figures: dict[str, Any]) -> dict[str, bytes]:
    """The three charts of one system's figures, by name (hourly, daily, employment)."""
    stats = figures.get("statistics", {})
    completeness = figures.get("completeness", {})
    empty = [*completeness.get("empty_working_days", [])]
    for source in completeness.get("sources", []):
        empty.extend(source.get("silent_days", []))
    charts = {
        "hourly": hourly_chart(stats.get("by_hour", [0] * 24), f"{name_ja}（{code}）時間帯別アクセス件数"),
        "daily": daily_chart(stats.get("by_day", []), empty, f"{name_ja}（{code}）日別アクセス件数"),
    }
    if stats.get("by_employment_type"):
        charts["employment"] = employment_chart(stats["by_employment_type"], f"{name_ja}（{code}）雇用区分別")
    return charts
