"""Print words and average sentence length per chapter: the figures the editorial checklist asks for.

Run: .venv/bin/python scripts/prose_stats.py [book/]

Counts the reader's prose only: code cells, directive options, figure captions' option lines, tables,
front matter and MyST roles' targets are left out; a number from the data or a citation counts as one word.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

FENCE = re.compile(r"^(`{3,}|:{3,})")
ROLE = re.compile(r"\{(?:fact|glue|glue:text|cite:p|cite:t|cite|ref|numref|doc)\}`[^`]*`")
SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]*\s+(?=[A-Z\"“(])")


def prose_lines(text: str) -> list[str]:
    """The lines of a MyST page that a reader reads as running text."""
    lines, in_code = [], False
    body = text.split("\n---\n", 1)[1] if text.startswith("---") else text
    for line in body.splitlines():
        stripped = line.strip()
        fence = FENCE.match(stripped)
        if fence:
            opener = stripped[len(fence.group(1)):]
            if in_code and not opener:
                in_code = False
            elif opener.startswith("{code-cell}"):
                in_code = True
            continue
        if in_code or stripped.startswith((":", "|")) or (stripped.startswith("(") and stripped.endswith(")=")):
            continue
        lines.append(line)
    return lines


def sentences(text: str) -> list[str]:
    """Split running prose into sentences (headings and list items each end one)."""
    paragraphs, current = [], []
    for line in prose_lines(text):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped.startswith("- "):
            if current:
                paragraphs.append(" ".join(current))
            current = [stripped.lstrip("#- ").strip()] if stripped.startswith("- ") else []
            continue
        current.append(stripped)
    if current:
        paragraphs.append(" ".join(current))
    result = []
    for paragraph in paragraphs:
        plain = ROLE.sub("X", paragraph)
        result.extend(s for s in SENTENCE_END.split(plain) if len(s.split()) >= 3)
    return result


SHORT = 8  # a sentence of this many words or fewer counts as short


def stats(path: Path) -> tuple[int, int, float, int]:
    """Words, sentences, mean words per sentence and short sentences of one page."""
    found = sentences(path.read_text(encoding="utf-8"))
    words = sum(len(s.split()) for s in found)
    short = sum(1 for s in found if len(s.split()) <= SHORT)
    return words, len(found), words / len(found) if found else 0.0, short


def main(book: Path) -> None:
    """Print a table of every chapter, document and appendix, and the totals."""
    pages = [book / "intro.md", *sorted((book / "chapters").glob("*.md")), *sorted((book / "documents").glob("*.md")),
             *sorted((book / "appendices").glob("*.md"))]
    total_words = total_sentences = total_short = 0
    print(f"{'page':34} {'words':>7} {'sentences':>9} {'words/sentence':>15} {f'<= {SHORT} words':>12}")
    for page in pages:
        words, count, mean, short = stats(page)
        if not count:
            continue
        total_words, total_sentences, total_short = total_words + words, total_sentences + count, total_short + short
        print(f"{str(page.relative_to(book)):34} {words:7,} {count:9,} {mean:15.1f} {100 * short / count:11.1f}%")
    print(f"{'all pages':34} {total_words:7,} {total_sentences:9,} {total_words / total_sentences:15.1f} "
          f"{100 * total_short / total_sentences:11.1f}%")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("book"))
