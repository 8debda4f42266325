"""The PDF as a person sees it: pages rendered to pixels, Japanese glyphs drawn as distinct shapes (not tofu).

The check finds where a known Japanese string sits on the page (the PDF's text layer gives each character's
box), renders the page, and compares the ink inside those boxes: real glyphs of different characters differ
from each other; tofu (the "missing glyph" box a font without Japanese draws) is the same empty rectangle for
every character. A control PDF written with a font that has no Japanese glyphs proves the check notices.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import matplotlib
import pypdfium2 as pdfium
import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from ringfence.analysis.reports.pdf import report_pdf

NAME = "スイッチング支援システム"
SCALE = 3.0


Box = tuple[float, float, float, float]  # left, bottom, right, top in PDF points


def text_boxes(pdf: pdfium.PdfDocument, text: str, page_index: int) -> list[Box]:
    """The box of each character of the first occurrence of ``text`` in the page's text layer."""
    textpage = pdf[page_index].get_textpage()
    chars = "".join(textpage.get_text_range(i, 1) for i in range(textpage.count_chars()))
    start = chars.find(text)
    assert start >= 0, f"{text!r} not on page {page_index}: {chars[:200]!r}"
    return [textpage.get_charbox(start + offset, loose=True) for offset in range(len(text))]


def glyph_shapes(
    pdf_bytes: bytes, text: str, page_index: int, boxes: list[Box] | None = None
) -> list[tuple[str, Image.Image]]:
    """Each character of ``text`` on the rendered page, as a binarised 24x24 image."""
    pdf = pdfium.PdfDocument(pdf_bytes)
    try:
        page = pdf[page_index]
        boxes = boxes or text_boxes(pdf, text, page_index)
        image = page.render(scale=SCALE).to_pil().convert("L")
        height = page.get_height()
        shapes = []
        for char, (left, bottom, right, top) in zip(text, boxes, strict=True):
            box = (
                int(left * SCALE),
                int((height - top) * SCALE),
                int(right * SCALE) + 1,
                int((height - bottom) * SCALE) + 1,
            )
            ink = image.crop(box).point(lambda v: 255 if v < 128 else 0)
            bounds = ink.getbbox()  # align on the ink, so where a box starts between pixels does not matter
            shapes.append((char, (ink.crop(bounds) if bounds else ink).resize((24, 24))))
        return shapes
    finally:
        pdf.close()


SAME = 0.12  # two shapes differing in fewer than 12 % of their pixels count as the same glyph


def _differ(a: Image.Image, b: Image.Image) -> bool:
    left, right = (
        a.point(lambda v: 1 if v > 127 else 0).tobytes(),
        b.point(lambda v: 1 if v > 127 else 0).tobytes(),
    )
    return sum(1 for x, y in zip(left, right, strict=True) if x != y) > SAME * len(left)


def distinct_glyphs(shapes: list[tuple[str, Image.Image]]) -> tuple[int, int]:
    """(characters with ink, number of different shapes among the different characters)."""
    inked = sum(1 for _c, shape in shapes if shape.getbbox() is not None)
    kinds: list[Image.Image] = []
    for shape in dict(shapes).values():  # one shape per different character
        if all(_differ(shape, other) for other in kinds):
            kinds.append(shape)
    return inked, len(kinds)


def _document() -> dict[str, Any]:
    figures = {
        "system": {"code": "SWITCH", "name_ja": NAME, "name_en": "Switching support", "holds_non_public": True},
        "completeness": {"problems": [], "sources": [], "events_by_day": [], "empty_working_days": [], "gap_hours": []},
        "statistics": {"events": 10, "accounts": 2, "persons": 2, "by_hour": [0] * 9 + [10] + [0] * 14,
                       "by_weekday": [10, 0, 0, 0, 0, 0, 0], "by_day": [["2026-10-12", 10]],
                       "by_unit": [{"unit": "D06", "name": "お客さま本部", "events": 10, "persons": 2}],
                       "by_employment_type": {"own_employee": 8, "affiliate": 2}},
        "effectiveness": {"successful_checked": 10, "impossible_count": 0, "impossible_by_category": {},
                          "impossible": [], "denied_total": 0, "denied_not_entitled_count": 0,
                          "denied_not_entitled": []},
        "accounts": {"seen": 2, "used_unknown_count": 0, "used_unknown": [], "unused_count": 0, "unused": []},
    }  # fmt: skip
    return {
        "campaign": {"id": 1, "name": "2026年度下期 アクセスログ分析", "kind": "periodic",
                     "start": "2026-10-11T15:00:00+00:00", "end": "2026-10-18T15:00:00+00:00", "due_on": "2026-11-30",
                     "status": "computed", "figures_sha256": "0" * 64},
        "pin": {"known_at": "2026-10-20T00:00:00+00:00", "lake_seq": 1, "files": 1, "rows": 10},
        "systems": [{"code": "SWITCH", "conclusion": "functioning", "reasons": [{"kind": "all_covered", "count": 10}],
                     "reviewed_by": "", "reviewed_at": None, "approved_by": "", "approved_at": None,
                     "findings": [], "figures": figures}],
    }  # fmt: skip


def _tofu_pdf() -> tuple[bytes, list[Box]]:
    """The same string set in a font without Japanese glyphs (DejaVu Sans, shipped with matplotlib), and
    where each character was drawn (such a PDF has no usable text layer for them)."""
    font = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    pdfmetrics.registerFont(TTFont("NoJapanese", str(font)))
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    size, x, y = 14, 72.0, 700.0
    canvas.setFont("NoJapanese", size)
    canvas.drawString(x, y, NAME)
    canvas.save()
    boxes = []
    for char in NAME:
        width = pdfmetrics.stringWidth(char, "NoJapanese", size)
        boxes.append((x, y - 0.25 * size, x + width, y + 0.95 * size))
        x += width
    return buffer.getvalue(), boxes


def test_report_pdf_draws_japanese_glyphs(settings: Any) -> None:
    data = report_pdf(_document())
    # The font is embedded in the file (a TrueType font program), not left to the viewer.
    assert b"/FontFile2" in data and b"IPAexGothic" in data
    for page_index in (0, 1):  # summary table and the system's own page (heading)
        shapes = glyph_shapes(data, NAME, page_index)
        inked, distinct = distinct_glyphs(shapes)
        assert inked == len(NAME), f"page {page_index}: {len(NAME) - inked} characters drawn blank"
        # 12 characters, 10 different ones (シ and ス repeat); every different character looks different.
        assert distinct == len(set(NAME)), f"page {page_index}: only {distinct} distinct glyph shapes"


def test_check_recognises_tofu() -> None:
    data, boxes = _tofu_pdf()
    shapes = glyph_shapes(data, NAME, 0, boxes)
    inked, distinct = distinct_glyphs(shapes)
    # Missing-glyph boxes: ink, but one and the same shape for every character.
    assert inked == len(NAME)
    assert distinct <= 2 < len(set(NAME))


@pytest.mark.parametrize("page_index", [1])
def test_chart_images_carry_japanese_titles(page_index: int) -> None:
    """The system page embeds its charts as images (drawn with the same font by matplotlib)."""
    pdf = pdfium.PdfDocument(report_pdf(_document()))
    try:
        page = pdf[page_index]
        images = [obj for obj in page.get_objects() if obj.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE]
        assert len(images) == 3  # daily, hourly, employment type
    finally:
        pdf.close()
