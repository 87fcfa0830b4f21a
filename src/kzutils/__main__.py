"""Command line: `python -m kzutils validate | facts | build`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kzutils.data import find_data_dir, load, load_shapes, resource, resource_names
from kzutils.validate import DataValidationError


def validate(data_dir: Path) -> int:
    """Check every resource; one line each; non-zero exit with the error on bad data."""
    for name in resource_names(data_dir):
        entry = resource(name, data_dir)
        try:
            size = len(load(name, data_dir)) if "schema" in entry else len(load_shapes(name, data_dir)["features"])
        except DataValidationError as exc:
            print(f"FAIL {name}: {exc}", file=sys.stderr)
            return 1
        unit = "rows" if "schema" in entry else "features"
        print(f"ok   {name:<18} {size:>4} {unit:<8} {data_dir.name}/{entry['path']}")
    return 0


def facts(data_dir: Path) -> int:
    """Print every named fact with its value and source."""
    from kzutils.facts import all_facts

    try:
        named = all_facts(data_dir)
    except DataValidationError as exc:
        print(f"FAIL: {exc}", file=sys.stderr)
        return 1
    width = max(len(n) for n in named)
    for fact in named.values():
        where = f"row {fact.row}" if fact.row else "(several rows)"
        print(f"{fact.name:<{width}}  {fact.text:<28}  [{fact.source}]  {fact.resource} {where}")
    return 0


def build(data_dir: Path, book: Path, out: Path, builder: str) -> int:
    """Strict build of the book (clean when inputs changed)."""
    from kzutils.build import build as run_build

    return run_build(book.resolve(), out.resolve(), data_dir, builder)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run one command."""
    parser = argparse.ArgumentParser(prog="python -m kzutils", description=__doc__)
    parser.add_argument("--data", type=Path, default=None, help="data package folder (default: find data/)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("validate", help="check every data resource")
    commands.add_parser("facts", help="print every named fact")
    build_parser = commands.add_parser("build", help="strict, never-stale book build")
    build_parser.add_argument("--book", type=Path, default=Path("book"))
    build_parser.add_argument("--out", type=Path, default=Path("book"))
    build_parser.add_argument("--builder", default="html")
    args = parser.parse_args(argv)
    data_dir = args.data.resolve() if args.data else find_data_dir()
    if args.command == "validate":
        return validate(data_dir)
    if args.command == "facts":
        return facts(data_dir)
    return build(data_dir, args.book, args.out, args.builder)


if __name__ == "__main__":
    sys.exit(main())
