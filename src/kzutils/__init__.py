"""Shared data helpers for the book on Kazakhstan's political transition since 2019."""

from __future__ import annotations

import importlib
from typing import Any

from kzutils.data import (
    data_dictionary, find_data_dir, load, load_all, load_shapes, observation_series, observer_assessments,
    observer_findings, observer_table, read_descriptor, resource_names, table_names,
)
from kzutils.claims import ClaimError, check, same_stage
from kzutils.validate import DataValidationError

# Facts and the figure style pull in matplotlib; load them on first use so that
# `import kzutils` plus loading data stays fast for scripts that only need tables.
_LAZY = {
    "Fact": "kzutils.facts",
    "all_facts": "kzutils.facts",
    "get": "kzutils.facts",
    "PALETTE": "kzutils.style",
    "NIT_SCALE": "kzutils.style",
    "VALUE_FONTSIZE": "kzutils.style",
    "label_bars": "kzutils.style",
    "add_source": "kzutils.style",
    "glue_figure": "kzutils.style",
    "count_with_sources": "kzutils.style",
    "FIGURE_DATA": "kzutils.style",
    "source_line": "kzutils.style",
    "use_house_style": "kzutils.style",
    "bib": "kzutils.bib",
    "show_table": "kzutils.tables",
    "format_in_unit": "kzutils.facts",
    "TURNOUT_REPORTS": "kzutils.maps",
    "choropleth": "kzutils.maps",
    "colour_bar": "kzutils.maps",
    "regional_values": "kzutils.maps",
    "unit_shapes": "kzutils.maps",
    "units_on": "kzutils.maps",
}


def __getattr__(name: str) -> Any:
    """Import facts, style and bib names on first access."""
    if name not in _LAZY:
        raise AttributeError(f"module 'kzutils' has no attribute {name!r}")
    module = importlib.import_module(_LAZY[name])
    return module if name == "bib" else getattr(module, name)


__all__ = ["ClaimError", "DataValidationError", "check", "same_stage", "data_dictionary", "find_data_dir", "load", "load_all", "load_shapes", "observation_series", "observer_assessments", "observer_findings", "observer_table", "read_descriptor", "resource_names", "table_names", *_LAZY]
