"""Author-year citations in which each label stands for one source.

A label such as "Qazinform, 2026" named thirteen different news items in one chapter. The book's labels are
therefore made unique across the whole bibliography by a suffix on the year, as author-year styles do
("Qazinform, 2026a", "Qazinform, 2026b"): the suffixes follow the entries' order in the bibliography (author,
then date, then title), so that 2026a is the earliest of that outlet's 2026 items and a reader finds the entry
where the label says. The same label is printed in the text and in front of the entry in the bibliography,
in HTML and in the PDF alike.

Three plugins, registered as entry points in pyproject.toml (the extension points pybtex and
sphinxcontrib-bibtex document) and chosen in book/_config.yml:

- `kz` in `pybtex.style.formatting` (`bibtex_default_style`): pybtex's "plain" entries, sorted and labelled
  by the two styles below;
- `kz` in `pybtex.style.labels` and `pybtex.style.sorting`: the author-year labels with suffixes, and their order;
- `kz` in `sphinxcontrib.bibtex.style.referencing` (`bibtex_reference_style`): citations in the text that print
  the entry's label, "[Qazinform, 2026a]" for `{cite:p}` and "Qazinform [2026a]" for `{cite:t}`.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from pybtex.plugin import find_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting import BaseSortingStyle
from sphinxcontrib.bibtex.style.referencing import BaseReferenceStyle, BracketStyle, PersonStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle
from sphinxcontrib.bibtex.style.template import entry_label, join, join2, node, post_text, pre_text, reference

SEPARATOR = ", "  # between the author and the year, in the text and in the bibliography's labels
MONTHS = {name: number for number, name in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
     "december"], start=1)}


@dataclass
class _Names:
    """What sphinxcontrib-bibtex's name templates read from a referencing style (its person style)."""

    person: PersonStyle = field(default_factory=PersonStyle)


_NAMES = _Names()


@functools.lru_cache(maxsize=None)
def _plain_text() -> Any:
    """pybtex's plain-text backend (looked up once: each lookup scans every installed package's entry points)."""
    return find_plugin("pybtex.backends", "text")()


def author_text(entry: Any) -> str:
    """The author part of an entry's label, exactly as a citation in the text prints it: last names ("et al."
    after the first of three or more), else the editors, else the title."""
    template = _NAMES.person.author_or_editor_or_title(full=False)
    return template.format_data({"entry": entry, "style": _NAMES}).render(_plain_text())


def year_text(entry: Any) -> str:
    return entry.fields.get("year", "").strip() or "n.d."


def base_label(entry: Any) -> str:
    """"Author, year", before any suffix."""
    return f"{author_text(entry)}{SEPARATOR}{year_text(entry)}"


def month_number(entry: Any) -> int:
    month = entry.fields.get("month", "").strip().lower()
    if month.isdigit():
        return int(month)
    return next((number for name, number in MONTHS.items() if name.startswith(month[:3])), 0) if month else 0


def day_number(entry: Any) -> int:
    day = re.match(r"\d+", entry.fields.get("day", "").strip())
    return int(day.group()) if day else 0


class SortingStyle(BaseSortingStyle):
    """The bibliography's order: by the label's author text (case and accents aside), then by date (year, month,
    day), then by title. Entries without a year ("n.d.") come after the dated ones of the same author."""

    def sorting_key(self, entry: Any) -> tuple[Any, ...]:
        year = year_text(entry)
        return (author_text(entry).casefold(), not year[:4].isdigit(), year, month_number(entry), day_number(entry),
                entry.fields.get("title", "").casefold(), entry.key)


def suffix(index: int) -> str:
    """a, b, ..., z, aa, ab, ...: the n-th label of one author and year."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


class LabelStyle(BaseLabelStyle):
    """"Author, year" labels; where two or more entries share one, a suffix on the year tells them apart
    (2026a, 2026b, ... in the bibliography's order)."""

    def format_labels(self, sorted_entries: Iterable[Any]) -> Iterator[str]:
        labels = [base_label(entry) for entry in sorted_entries]
        count, seen = Counter(labels), Counter()
        for label in labels:
            if count[label] == 1:
                yield label
            else:
                yield label + suffix(seen[label])
                seen[label] += 1


class Style(PlainStyle):
    """pybtex's plain style, sorted and labelled by author and year (the labels above)."""

    default_label_style = "kz"
    default_sorting_style = "kz"


# --- citations in the text ------------------------------------------------------------------------------


def split_label(label: str) -> tuple[str, str]:
    """("Qazinform", "2026a") from the label "Qazinform, 2026a"."""
    author, _, year = label.rpartition(SEPARATOR)
    return author, year


@node
def label_year(children: list[Any], data: dict[str, Any]) -> Text:
    """The year of the entry's label, with its suffix ("2026a")."""
    assert not children
    return Text(split_label(data["formatted_entry"].label)[1])


@node
def label_author(children: list[Any], data: dict[str, Any]) -> Text:
    """The author part of the entry's label."""
    assert not children
    return Text(split_label(data["formatted_entry"].label)[0])


@dataclass
class _Parenthetical(BaseReferenceStyle):
    """`{cite:p}`: "[Qazinform, 2026a]"."""

    bracket: BracketStyle = field(default_factory=BracketStyle)
    pre_text_sep: str = " "
    post_text_sep: str = ", "

    def role_names(self) -> Iterable[str]:
        return [f"{alt}p{full}" for alt in ("", "al") for full in ("", "s")]

    def outer(self, role_name: str, children: list[Any]) -> Any:
        return self.bracket.outer(children, brackets="al" not in role_name, capfirst=False)

    def inner(self, role_name: str) -> Any:
        return join2(sep1=self.pre_text_sep, sep2=self.post_text_sep)[pre_text, reference[entry_label], post_text]


@dataclass
class _Textual(BaseReferenceStyle):
    """`{cite:t}`: "Qazinform [2026a]"."""

    bracket: BracketStyle = field(default_factory=BracketStyle)
    pre_text_sep: str = " "
    post_text_sep: str = ", "

    def role_names(self) -> Iterable[str]:
        return [f"{cap}t{full}" for cap in ("", "c") for full in ("", "s")]

    def outer(self, role_name: str, children: list[Any]) -> Any:
        return self.bracket.outer(children, brackets=False, capfirst="c" in role_name)

    def inner(self, role_name: str) -> Any:
        return join(sep=" ")[
            label_author,
            join[self.bracket.left,
                 join2(sep1=self.pre_text_sep, sep2=self.post_text_sep)[pre_text, reference[label_year], post_text],
                 self.bracket.right],
        ]


@dataclass
class _Year(BaseReferenceStyle):
    """`{cite:year}`: "2026a"; `{cite:yearpar}`: "[2026a]"."""

    bracket: BracketStyle = field(default_factory=BracketStyle)

    def role_names(self) -> Iterable[str]:
        return ["year", "yearpar"]

    def outer(self, role_name: str, children: list[Any]) -> Any:
        return self.bracket.outer(children, brackets="par" in role_name, capfirst=False)

    def inner(self, role_name: str) -> Any:
        return reference[label_year]


@dataclass
class ReferenceStyle(AuthorYearReferenceStyle):
    """sphinxcontrib-bibtex's author-year referencing, printing each entry's own label (with its suffix):
    `{cite:p}` gives "[Qazinform, 2026a]", `{cite:t}` gives "Qazinform [2026a]", `{cite:year}` "2026a"; the
    other roles (`{cite:author}`, `{cite:label}`) are the stock style's."""

    def __post_init__(self) -> None:
        super().__post_init__()
        for style in (_Parenthetical(bracket=self.bracket_parenthetical, pre_text_sep=self.pre_text_sep,
                                     post_text_sep=self.post_text_sep),
                      _Textual(bracket=self.bracket_textual, pre_text_sep=self.pre_text_sep,
                               post_text_sep=self.post_text_sep),
                      _Year(bracket=self.bracket_year)):
            self.role_style.update((name, style) for name in style.role_names())
