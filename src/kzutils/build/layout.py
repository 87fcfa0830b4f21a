"""How a table is laid out in the PDF: column widths measured in the PDF's own font, places where long keys may
break, and the type size that makes the table fit the page.

The old layout gave each column a width in proportion to its longest entry, capped at 60 characters; a column
of short entries then got less room than its longest word (a bibliography key, a fact name, a number), which
ran into the next column and was hidden under that column's shading: 406 lines overfull by more than 20 pt in
the PDF of 2026-12-01, the claims ledger, the data dictionary and the bibliography's tables among them.

Here every column gets at least the width of its widest unbreakable piece, and the rest of the line goes to
the columns that wrap, in proportion to the text each holds (the way browsers lay out tables, but aiming at rows
of about equal lines in every column). Long keys, fact names and web addresses may break after `_`, `/`, `.`,
`-` and between letters and digits (`astanatimes|2023|calendar`), never inside a number. Tables are set in small
type; in footnote size when that makes them a third shorter (a table of many columns whose text columns would
otherwise be squeezed to their longest word), and when even that does not fit, with keys free to break anywhere.
Columns have fixed widths in pt, at most 92% of the text block, so that a table in a solution's box fits too. Text
is set ragged right (justified text in narrow columns opened wide gaps between words); columns of numbers are set
flush right.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from kzutils.tables import NUMBER, pieces

# The PDF's page (letter paper, 1 in margins: Sphinx's defaults) and the fonts _config.yml's LaTeX uses.
TEXT_WIDTH = 468.0  # pt
SLACK = 0.92  # a table in a box (a solution, a note) has about 7% less room than the text block
MARGIN = 0.5  # pt added to every column, for what the measurement leaves out (kerning, rounding)
TABCOLSEP = 6.0  # pt on each side of a cell (LaTeX's default); less in a table of SEVERAL or MANY columns
MEDIUM, SEVERAL = 4.0, 5
TIGHT, MANY = 3.0, 8
LEADING, ROW_PADDING = 1.2, 3.0  # baselineskip over type size, and the space between two rows (pt)
SMALLER_TYPE_COST = 1.5  # footnote size is chosen only if it makes the table a third shorter than small type
SIZES = (("small", 9.0), ("footnotesize", 8.0))  # LaTeX size command and its type size in pt (10pt class)
FONT_FOLDERS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")
BODY_FONT, HEAD_FONT = "FreeSerif.otf", "FreeSans.otf"  # cells, and the header row (\sphinxstyletheadfamily)
AVERAGE_ADVANCE = 0.5  # em, for a character whose font cannot be read
NARROW = 0.22  # a column whose entries all fit on one line in this share of the room is never wrapped

DASHES = {"—", "–", "-", "", "n/a"}


@functools.lru_cache(maxsize=None)
def advances(font: str) -> dict[int, float]:
    """Character advance widths (in em) of a font the PDF uses; empty if it is not installed (every character
    then counts as AVERAGE_ADVANCE)."""
    for folder in FONT_FOLDERS:
        for path in sorted(folder.rglob(font)) if folder.is_dir() else []:
            try:
                from fontTools.ttLib import TTFont

                ttf = TTFont(str(path), lazy=True)
                metrics, per_em = ttf["hmtx"].metrics, ttf["head"].unitsPerEm
                return {code: metrics[glyph][0] / per_em for code, glyph in ttf.getBestCmap().items()}
            except Exception:  # noqa: BLE001 - an unreadable font: try the next, else average widths
                continue
    return {}


def text_width(text: str, size: float, font: str = BODY_FONT) -> float:
    """The width of `text` on one line, in pt, at `size` pt."""
    table = advances(font)
    return size * sum(table.get(ord(char), AVERAGE_ADVANCE) for char in text)


@dataclass
class Layout:
    """A table's print layout: the LaTeX size, each column's content width (pt), which columns are numbers,
    and which columns' identifiers may break anywhere."""

    size: str
    widths: list[float]
    numeric: list[bool]
    anywhere: list[bool]
    tabcolsep: float = TABCOLSEP

    def start(self) -> str:
        """LaTeX that opens the table's group: its size, and its cells' side padding if not the default."""
        sides = f"\\setlength{{\\tabcolsep}}{{{self.tabcolsep:g}pt}}" if self.tabcolsep != TABCOLSEP else ""
        return f"\\begingroup\\{self.size}{sides}\n"

    def colspec(self) -> str:
        """The longtable's column specification: each column at its width in pt (so that a table in a box, whose
        line is narrower, is not squeezed below what its entries need), ragged right, or flush right for numbers."""
        cells = {True: r">{\kznumbercell}", False: r">{\kztextcell}"}
        return "".join(f"{cells[number]}p{{{width + MARGIN:.1f}pt}}" for width, number in zip(self.widths, self.numeric))


def padding(tabcolsep: float) -> float:
    """A column's width besides its text: \\tabcolsep on both sides, and a rule."""
    return 2 * tabcolsep + 0.4


def is_numeric(values: Sequence[str]) -> bool:
    shown = [v for v in values if v.strip() not in DASHES]
    return bool(shown) and all(NUMBER.match(v.strip()) for v in shown)


@dataclass
class Needs:
    """What a column needs at one size: its widest unbreakable piece (least), its widest entry on one line
    (natural), and how much text it holds in all (amount), in pt."""

    least: float
    natural: float
    amount: float


def column_needs(header: str, values: Sequence[str], size: float, anywhere: bool) -> Needs:
    least = natural = amount = 0.0
    for text, font in [(header, HEAD_FONT), *((v, BODY_FONT) for v in values)]:
        words = text.split()
        width = text_width(" ".join(words), size, font)
        natural, amount = max(natural, width), amount + width
        for word in words:
            least = max(least, max(text_width(p, size, font) for p in pieces(word, anywhere)))
    return Needs(least, max(natural, least), amount)


def layout(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> Layout:
    """The print layout of a table: small type if every column gets its widest piece and the table is not much
    taller than in footnote size; else footnote size; else footnote size with keys free to break anywhere."""
    values = [[str(row[i]) for row in rows] for i in range(len(columns))]
    numeric = [is_numeric(v) for v in values]
    tabcolsep = TIGHT if len(columns) >= MANY else MEDIUM if len(columns) >= SEVERAL else TABCOLSEP
    room = TEXT_WIDTH * SLACK - (padding(tabcolsep) + MARGIN) * len(columns)
    fitting = []
    for name, size in SIZES:
        needs = [column_needs(h, v, size, False) for h, v in zip(columns, values)]
        if sum(n.least for n in needs) <= room:
            widths = share_out(needs, room)
            fitting.append((height(values, widths, size) * (1.0 if not fitting else SMALLER_TYPE_COST), name, widths))
    if fitting:
        _, name, widths = min(fitting)
        return Layout(name, widths, numeric, [False] * len(columns), tabcolsep)
    name, size = SIZES[-1]
    needs = [column_needs(h, v, size, True) for h, v in zip(columns, values)]
    return Layout(name, share_out(needs, room), numeric, [not n for n in numeric], tabcolsep)


def height(values: Sequence[Sequence[str]], widths: Sequence[float], size: float) -> float:
    """About how tall a table's body is (pt) with these column widths: each row as tall as its entry that wraps
    into the most lines."""
    lines = 0
    for row in zip(*values):
        lines += max(max(1, -(-text_width(" ".join(text.split()), size) // max(width, 1.0))) for text, width
                     in zip(row, widths))
    return lines * size * LEADING + len(values[0] if values else []) * ROW_PADDING


def share_out(needs: Sequence[Needs], room: float) -> list[float]:
    """Column widths. Every column prints on one line if the table fits so. Otherwise a narrow column (keys,
    numbers, short labels: at most NARROW of the room) keeps its one line, every other column gets at least its
    widest piece, and the rest of the room goes to the columns that wrap, in proportion to the text each
    holds (so that their entries wrap into about as many lines, which keeps the rows short), none wider than its
    widest entry."""
    if sum(n.natural for n in needs) <= room:
        return [n.natural for n in needs]
    widths = [n.least for n in needs]
    for i in sorted(range(len(needs)), key=lambda i: needs[i].natural):
        if needs[i].natural <= NARROW * room and sum(widths) - widths[i] + needs[i].natural <= room:
            widths[i] = needs[i].natural
    while True:
        open_ = [i for i, n in enumerate(needs) if widths[i] < n.natural - 0.01]
        spare = room - sum(widths)
        if not open_ or spare <= 0.01:
            return widths
        weight = {i: needs[i].amount for i in open_}
        total = sum(weight.values()) or 1.0
        for i in open_:
            widths[i] = min(needs[i].natural, widths[i] + spare * weight[i] / total)


# --- what the PDF build reports -----------------------------------------------------------------------------

OVERFULL = re.compile(r"^Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\) (?:in paragraph|in alignment|detected) at lines? "
                      r"(\d+)(?:--(\d+))?", re.M)
MUCH = 20.0  # pt: what issue 21 counted


def overfull_lines(log: str) -> list[tuple[float, int, int]]:
    """Every overfull line in a LaTeX log: (how far it sticks out in pt, first and last line of the .tex)."""
    return [(float(pt), int(first), int(last or first)) for pt, first, last in OVERFULL.findall(log)]


def overfull_report(log_file: Path) -> str:
    """One line on the PDF's overfull lines: a figure to watch, not a pass or fail."""
    found = overfull_lines(log_file.read_text(encoding="utf-8", errors="replace"))
    much = [pt for pt, _, _ in found if pt > MUCH]
    widest = max((pt for pt, _, _ in found), default=0.0)
    return (f"kzutils build: the PDF has {len(found)} overfull lines, {len(much)} of them by more than "
            f"{MUCH:g} pt (the widest by {widest:.0f} pt); {log_file}")
