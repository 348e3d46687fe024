"""A statement as a PDF a customer is glad to receive: who it is from, for whom and which
period, the totals first, a small chart of the balance over time, then every entry in a
table that flows over as many A4 pages as it needs (its header repeated on each).

Latin text uses Helvetica; any text with characters outside Latin-1 (a Chinese account name,
a remark) uses reportlab's built-in STSong-Light CID font, so no font file has to ship.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    LongTable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from tallybook.ledger.statements import Statement, StatementSection
from tallybook.render.labels import TYPE_LABELS, grouped_money, local_time, reference_of

WIDE_FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(WIDE_FONT))

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#616e7c")
ACCENT = colors.HexColor("#2563eb")
RULE = colors.HexColor("#d9e2ec")
STRIPE = colors.HexColor("#f5f7fa")
PAGE_MARGIN = 16 * mm
CONTENT_WIDTH = A4[0] - 2 * PAGE_MARGIN
# Date, type, reference, note, amount, balance
COLUMN_WIDTHS = [28 * mm, 25 * mm, 39 * mm, 36 * mm, 25 * mm, 25 * mm]

_BASE = ParagraphStyle("base", fontName="Helvetica", fontSize=8.5, leading=10.5, textColor=INK)
STYLES = {
    "title": ParagraphStyle("title", _BASE, fontName="Helvetica-Bold", fontSize=18, leading=22),
    "subtitle": ParagraphStyle("subtitle", _BASE, fontSize=11, leading=14, textColor=MUTED),
    "heading": ParagraphStyle(
        "heading", _BASE, fontName="Helvetica-Bold", fontSize=12, leading=15, spaceBefore=6
    ),
    "cell": _BASE,
    "number": ParagraphStyle("number", _BASE, alignment=TA_RIGHT),
    "head": ParagraphStyle("head", _BASE, fontName="Helvetica-Bold", textColor=colors.white),
    "head_number": ParagraphStyle(
        "head_number", _BASE, fontName="Helvetica-Bold", textColor=colors.white, alignment=TA_RIGHT
    ),
    "muted": ParagraphStyle("muted", _BASE, textColor=MUTED),
    "muted_number": ParagraphStyle("muted_number", _BASE, textColor=MUTED, alignment=TA_RIGHT),
}


def _text(value: str, style: str = "cell") -> Paragraph:
    """A paragraph in `style`, switching to the CJK font when Latin-1 cannot show `value`."""
    chosen = STYLES[style]
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        chosen = ParagraphStyle(f"{style}-wide", chosen, fontName=WIDE_FONT)
    return Paragraph(escape(value), chosen)


def render_statement_pdf(statement: Statement, generated_at: datetime | None = None) -> bytes:
    """The statement as PDF bytes."""
    generated_at = generated_at or datetime.now(UTC)
    zone = statement.tenant.time_zone
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=PAGE_MARGIN,
        rightMargin=PAGE_MARGIN,
        topMargin=PAGE_MARGIN,
        bottomMargin=PAGE_MARGIN + 4 * mm,
        title=f"Statement {statement.account.name} {statement.period.label}",
        author=statement.tenant.name,
        subject="Account statement",
        creator="Tallybook",
    )
    account = statement.account
    story: list[Flowable] = [
        _text(statement.tenant.name, "title"),
        _text("Account statement", "subtitle"),
        Spacer(1, 4 * mm),
        _details_table(
            [
                ("Account", f"{account.name} ({account.external_id})"),
                ("Period", f"{statement.period.label} ({zone})"),
                ("Issued", f"{local_time(generated_at, zone)} ({zone})"),
            ]
        ),
    ]
    if not statement.sections:
        story += [Spacer(1, 6 * mm), _text("No balance and no entries in this period.", "muted")]
    for section in statement.sections:
        story += _section_flowables(section, zone)

    def footer(canvas: Canvas, _document: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(
            PAGE_MARGIN, PAGE_MARGIN - 2 * mm, f"{statement.tenant.name} · {account.external_id}"
        )
        canvas.drawRightString(
            A4[0] - PAGE_MARGIN, PAGE_MARGIN - 2 * mm, f"Page {canvas.getPageNumber()}"
        )
        canvas.restoreState()

    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _details_table(rows: Sequence[tuple[str, str]]) -> Table:
    table = Table(
        [[_text(label, "muted"), _text(value)] for label, value in rows],
        colWidths=[24 * mm, CONTENT_WIDTH - 24 * mm],
        hAlign="LEFT",
    )
    table.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _section_flowables(section: StatementSection, zone: str) -> list[Flowable]:
    def money(minor: int) -> str:
        return grouped_money(minor, section.decimals)

    totals = Table(
        [
            [
                _text(label, "muted_number")
                for label in ("Opening", "Money in", "Money out", "Closing")
            ],
            [
                _text(f"{money(value)} {section.currency}", "number")
                for value in (section.opening, section.credits, section.debits, section.closing)
            ],
        ],
        colWidths=[CONTENT_WIDTH / 4] * 4,
    )
    totals.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                ("BACKGROUND", (0, 0), (-1, 0), STRIPE),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    count = len(section.lines)
    heading = _text(
        f"{section.currency} · {count} {'entry' if count == 1 else 'entries'}", "heading"
    )
    head_block: list[Flowable] = [Spacer(1, 6 * mm), heading, Spacer(1, 2 * mm), totals]
    if section.lines:
        head_block += [Spacer(1, 3 * mm), _balance_chart(section)]
    return [KeepTogether(head_block), Spacer(1, 3 * mm), _entries_table(section, zone)]


def _entries_table(section: StatementSection, zone: str) -> Flowable:
    def money(minor: int) -> str:
        return grouped_money(minor, section.decimals)

    header = [
        *(_text(title, "head") for title in ("Date", "Type", "Reference", "Note")),
        _text(f"Amount ({section.currency})", "head_number"),
        _text("Balance", "head_number"),
    ]
    # Opening and closing label cells are plain strings: they span three columns unwrapped.
    rows: list[list[Paragraph | str]] = [list(header)]
    rows.append(["", "Opening balance", "", "", "", _text(money(section.opening), "number")])
    for line in section.lines:
        entry = line.entry
        rows.append(
            [
                _text(local_time(entry.created_at, zone)),
                _text(TYPE_LABELS[line.type]),
                _text(reference_of(line)),
                _text(line.references.note or ""),
                _text(("+" if entry.amount > 0 else "") + money(entry.amount), "number"),
                _text(money(entry.balance_after), "number"),
            ]
        )
    rows.append(["", "Closing balance", "", "", "", _text(money(section.closing), "number")])
    table = LongTable(rows, colWidths=COLUMN_WIDTHS, repeatRows=1)
    style: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), INK),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 1), (-1, -1), 0.3, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    style += [("BACKGROUND", (0, row), (-1, row), STRIPE) for row in range(2, len(rows) - 1, 2)]
    for row in (1, len(rows) - 1):  # opening and closing
        style += [
            ("SPAN", (1, row), (3, row)),
            ("FONTNAME", (1, row), (1, row), "Helvetica"),
            ("FONTSIZE", (1, row), (1, row), 8.5),
            ("TEXTCOLOR", (1, row), (1, row), MUTED),
        ]
    table.setStyle(TableStyle(style))
    return table


def _balance_chart(section: StatementSection) -> Drawing:
    """The balance after each entry over time: a small line chart, axes in the currency."""
    width, height = CONTENT_WIDTH, 42 * mm
    drawing = Drawing(width, height)
    points = [
        (line.entry.created_at.timestamp(), line.entry.balance_after) for line in section.lines
    ]
    first_time = points[0][0]
    series = [(first_time - 1, section.opening), *points]  # drawing positions only
    plot = LinePlot()
    plot.x, plot.y = round(18 * mm), round(8 * mm)
    plot.width, plot.height = round(width - 22 * mm), round(height - 14 * mm)
    plot.data = [series]
    plot.lines[0].strokeColor = ACCENT
    plot.lines[0].strokeWidth = 1.4
    plot.xValueAxis.visibleLabels = False
    plot.xValueAxis.visibleTicks = False
    plot.xValueAxis.strokeColor = RULE
    plot.yValueAxis.strokeColor = RULE
    plot.yValueAxis.labels.fontName = "Helvetica"
    plot.yValueAxis.labels.fontSize = 6.5
    plot.yValueAxis.labels.fillColor = MUTED
    plot.yValueAxis.labelTextFormat = lambda minor: grouped_money(int(minor), section.decimals)
    plot.yValueAxis.visibleGrid = True
    plot.yValueAxis.gridStrokeColor = STRIPE
    if min(balance for _, balance in series) >= 0:
        plot.yValueAxis.valueMin = 0
    drawing.add(plot)
    drawing.add(
        String(
            0, height - 3 * mm, "Balance over the period", fontName="Helvetica", fontSize=7.5,
            fillColor=MUTED,
        )
    )  # fmt: skip
    return drawing
