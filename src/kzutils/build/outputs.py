"""A cap on the size of any one notebook output.

A cell that prints megabytes (a whole table by mistake, a loop left in) would make Sphinx spend minutes
highlighting and writing it, with no message. MyST-NB renders outputs through a renderer chosen in
`_config.yml` (`nb_render_plugin: kzutils`, registered in `pyproject.toml`); this one is MyST-NB's own,
except that an output larger than MAX_OUTPUT_CHARACTERS is not rendered: the page shows a one-line note and
the build reports the page and the cell, which fails a strict build.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from myst_nb.core.render import MimeData, NbElementRenderer

MAX_OUTPUT_CHARACTERS = 2_000_000  # about 2 MB: larger than any figure or table of the book, far below a stall


def too_big(renderer: NbElementRenderer, size: int, cell_index: int, line: int | None) -> list[nodes.Element] | None:
    """None if an output of `size` characters may be shown; else a note in its place, and a warning."""
    if size <= MAX_OUTPUT_CHARACTERS:
        return None
    message = (f"cell {cell_index + 1}: an output of {size:,} characters is over the book's limit of "
               f"{MAX_OUTPUT_CHARACTERS:,} for one output (kzutils.build.outputs); print or show less")
    renderer.logger.warning(message, subtype="output_size", line=line)
    return [nodes.paragraph(text=f"[An output of {size:,} characters was left out: over the book's limit.]")]


class SizeLimitedRenderer(NbElementRenderer):
    """MyST-NB's renderer, with every output checked against MAX_OUTPUT_CHARACTERS first."""

    def render_stdout(self, output: Any, cell_metadata: dict[str, Any], cell_index: int,
                      source_line: int) -> list[nodes.Element]:
        return (too_big(self, len(output.get("text", "")), cell_index, source_line)
                or super().render_stdout(output, cell_metadata, cell_index, source_line))

    def render_stderr(self, output: Any, cell_metadata: dict[str, Any], cell_index: int,
                      source_line: int) -> list[nodes.Element]:
        return (too_big(self, len(output.get("text", "")), cell_index, source_line)
                or super().render_stderr(output, cell_metadata, cell_index, source_line))

    def render_error(self, output: Any, cell_metadata: dict[str, Any], cell_index: int,
                     source_line: int) -> list[nodes.Element]:
        size = sum(len(line) for line in output.get("traceback", []))
        return (too_big(self, size, cell_index, source_line)
                or super().render_error(output, cell_metadata, cell_index, source_line))

    def render_mime_type(self, data: MimeData) -> list[nodes.Element]:
        return (too_big(self, len(data.content), data.cell_index or 0, data.line)
                or super().render_mime_type(data))
