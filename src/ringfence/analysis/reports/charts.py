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
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _

from ringfence.registry.choices import EmploymentType

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib.figure import Figure

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


def _figure(width: float = 7.0, height: float = 2.6, left: float = 0.11) -> tuple[Figure, Any]:
    figure = Figure(figsize=(width, height))
    axes = figure.subplots()
    figure.subplots_adjust(left=left, right=0.98, top=0.87, bottom=0.2)
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
    axes.set_xticks(range(0, 24, 2), [str(h) for h in range(0, 24, 2)])
    axes.set_title(title)
    axes.set_xlabel(_("hour (JST)"))
    axes.set_ylabel(_("events"))
    _label_fonts(axes)
    return _png(figure)


def daily_chart(by_day: list[list[Any]], empty_days: list[str], title: str) -> bytes:
    """Events per JST day; days flagged as missing logs in red."""
    import datetime as dt

    figure, axes = _figure()
    labels = []
    for day_text, _count in by_day:
        day = dt.date.fromisoformat(day_text)
        labels.append(f"{day.month}/{day.day} ({WEEKDAYS_ABBR[day.weekday()]})")
    colors = [ALERT if day in empty_days else BAR for day, _count in by_day]
    for index, (day, _count) in enumerate(by_day):
        if day in empty_days:  # shade the whole column: a day with (almost) no events has no visible bar
            axes.axvspan(index - 0.45, index + 0.45, color=ALERT, alpha=0.15, linewidth=0)
    axes.bar(range(len(by_day)), [count for _day, count in by_day], color=colors)
    axes.set_xticks(range(len(by_day)), labels)
    axes.set_title(title)
    axes.set_ylabel(_("events"))
    _label_fonts(axes)
    return _png(figure)


def employment_chart(by_type: dict[str, int], title: str) -> bytes:
    """Events by the employment type of the account's owner (horizontal bars)."""
    figure, axes = _figure(height=max(1.6, 0.4 * len(by_type) + 0.8), left=0.3)
    items = sorted(by_type.items(), key=lambda item: item[1])
    axes.barh(range(len(items)), [n for _k, n in items], color=BAR)
    labels = {**dict(EmploymentType.choices), "unknown": _("No owner / unknown")}
    axes.set_yticks(range(len(items)), [str(labels.get(k, k)) for k, _n in items])
    axes.set_title(title)
    axes.set_xlabel(_("events"))
    _label_fonts(axes)
    return _png(figure)


def system_charts(code: str, name_ja: str, figures: dict[str, Any]) -> dict[str, bytes]:
    """The three charts of one system's figures, by name (hourly, daily, employment)."""
    stats = figures.get("statistics", {})
    completeness = figures.get("completeness", {})
    empty = [*completeness.get("empty_working_days", [])]
    for source in completeness.get("sources", []):
        empty.extend(source.get("silent_days", []))
    empty.extend(p["day"] for p in completeness.get("problems", []) if p.get("kind") == "low_day")
    names = {"name": name_ja, "code": code}
    charts = {
        "hourly": hourly_chart(
            stats.get("by_hour", [0] * 24), _("%(name)s (%(code)s): events by hour") % names
        ),
        "daily": daily_chart(stats.get("by_day", []), empty, _("%(name)s (%(code)s): events by day") % names),
    }
    if stats.get("by_employment_type"):
        title = _("%(name)s (%(code)s): events by employment type") % names
        charts["employment"] = employment_chart(stats["by_employment_type"], title)
    return charts
