"""The figure checklist (notes/figure-checklist.md), for the rules that code can check in the book's sources."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

import kzutils as kz
from kzutils.style import VALUE_FONTSIZE
from conftest import BOOK

DIRECTIVE = re.compile(r"^```\{glue:figure\}\s+(\S+)\n(.*?)^```", re.M | re.S)
CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.M | re.S)
GLUED = re.compile(r"""kz\.glue_figure\(\s*["']([^"']+)["']""")


def pages() -> list:
    """The book's MyST pages, without the build folder."""
    return [p for p in sorted(BOOK.rglob("*.md")) if "_build" not in p.parts]


def directives() -> list[tuple[str, str, str]]:
    """(page, figure name, directive body) for every {glue:figure} directive."""
    return [(p.name, name, body) for p in pages() for name, body in DIRECTIVE.findall(p.read_text(encoding="utf-8"))]


def cells_making(name: str) -> list[str]:
    """The code cells that finish the figure `name` with kz.glue_figure."""
    return [cell for p in pages() for cell in CODE_CELL.findall(p.read_text(encoding="utf-8"))
            if name in GLUED.findall(cell)]


def test_the_book_has_figures() -> None:
    assert len(directives()) >= 10


@pytest.mark.parametrize("page,name,body", directives(), ids=[d[1] for d in directives()])
def test_every_figure_has_alt_text_and_a_cited_caption(page: str, name: str, body: str) -> None:
    options = dict(re.findall(r"^:(\w+):\s*(.*)$", body, re.M))
    caption = "\n".join(line for line in body.splitlines() if line.strip() and not line.startswith(":"))
    assert len(options.get("alt", "").split()) >= 12, f"{page}: {name} needs alt text that describes the figure"
    assert options.get("name") == name, f"{page}: {name} needs :name: {name} so the text can {{numref}} it"
    assert caption, f"{page}: {name} has no caption"
    assert "{cite:" in caption, f"{page}: the caption of {name} cites no source"


def test_every_shown_figure_is_made_once_with_the_figure_helper() -> None:
    shown = [name for _, name, _ in directives()]
    assert len(shown) == len(set(shown)), "a figure is shown twice"
    for name in shown:
        assert len(cells_making(name)) == 1, f"{name} must be finished by exactly one kz.glue_figure call"


def test_no_figure_charts_the_books_own_data_gathering() -> None:
    intro = (BOOK / "intro.md").read_text(encoding="utf-8")
    for cell in CODE_CELL.findall(intro):
        if GLUED.search(cell):
            assert 'kz.load("events")' not in cell, "the intro charts the book's own events table"
    assert "fig-intro-events" not in intro


def test_the_party_registration_rule_is_charted_once() -> None:
    charted = [name for name, _ in ((n, None) for _, n, _ in directives())
               if any("party_members" in cell for cell in cells_making(name))]
    assert charted == ["fig-new-kazakhstan-reforms"], charted


def test_nations_in_transit_is_drawn_on_its_full_scale() -> None:
    assert kz.NIT_SCALE == (1.0, 7.0)
    (cell,) = cells_making("fig-assessments-nit")
    limits = re.findall(r"set_ylim\(([^)]*)\)", cell)
    assert limits == ["kz.NIT_SCALE"], f"the Nations in Transit figure sets its y-range to {limits}"


def test_bars_are_labelled_with_bar_label_not_annotate_loops() -> None:
    loop = re.compile(r"^for [^\n]*\n(?:[ \t]+[^\n]*\n)*?[ \t]+\w+\.annotate\(", re.M)
    for p in pages():
        for cell in CODE_CELL.findall(p.read_text(encoding="utf-8")):
            if re.search(r"\.barh?\(", cell):
                assert not loop.search(cell), f"{p.name}: a bar chart labels its bars with an annotate loop"


def test_label_bars_writes_each_value_in_the_house_size() -> None:
    fig, ax = plt.subplots()
    bars = ax.bar([0, 1], [12.345, 6.0])
    texts = kz.label_bars(ax, bars, fmt="{:.1f}")
    assert [t.get_text() for t in texts] == ["12.3", "6.0"]
    assert {t.get_fontsize() for t in texts} == {VALUE_FONTSIZE}
    plt.close(fig)
