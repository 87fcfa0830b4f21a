"""Shared data helpers for the book on Kazakhstan's political transition since 2019."""

from kzutils.data import find_data_dir, load, load_all, resource_names
from kzutils.facts import Fact, all_facts, get, glue_facts
from kzutils.style import PALETTE, add_source, source_line, use_house_style
from kzutils.validate import DataValidationError

__all__ = [
    "DataValidationError",
    "Fact",
    "PALETTE",
    "add_source",
    "all_facts",
    "find_data_dir",
    "get",
    "glue_facts",
    "load",
    "load_all",
    "resource_names",
    "source_line",
    "use_house_style",
]
