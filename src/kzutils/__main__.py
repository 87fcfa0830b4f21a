"""Command line: `python -m kzutils validate | facts | build | notebooks | release-metadata`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from kzutils.data import check_package, existing_folder, find_data_dir, resource
from kzutils.validate import DataValidationError, summary


def validate(data_dir: Path) -> int:
    """Check the whole package: one line per valid resource, then every problem found; 1 on bad data."""
    sizes, error = check_package(data_dir)
    for name, size in sizes.items():
        entry = resource(name, data_dir)
        unit = "rows" if "schema" in entry else "features"
        print(f"ok   {name:<18} {size:>4} {unit:<8} {data_dir.name}/{entry['path']}")
    if error is not None:
        return fail(error)
    from kzutils import bib
    from kzutils.data import bibliography_path

    path = bibliography_path(data_dir)
    print(f"ok   {'bibliography':<18} {len(bib.keys(path)):>4} entries  {path.parent.name}/{path.name}")
    return 0


def fail(error: DataValidationError) -> int:
    """Print every problem of a validation error as the last lines of output; return the exit code 1."""
    sys.stdout.flush()
    print(f"FAIL: {summary(error)}", file=sys.stderr, flush=True)
    return 1


def facts(data_dir: Path) -> int:
    """Print every named fact with its value and source."""
    from kzutils.facts import all_facts

    named = all_facts(data_dir)
    width = max(len(n) for n in named)
    for fact in named.values():
        where = f"row {fact.row}" if fact.row else "(several rows)"
        print(f"{fact.name:<{width}}  {fact.text:<28}  [{fact.source}]  {fact.resource} {where}")
    return 0


def build(data_dir: Path, book: Path, out: Path, builder: str, edition: str) -> int:
    """Strict build of the book (clean when inputs changed)."""
    from kzutils.build import build as run_build

    return run_build(book.resolve(), out.resolve(), data_dir, builder, edition=edition)


def notebooks(data_dir: Path, book: Path, target: Path, check: bool) -> int:
    """Write (or with check, compare) the .ipynb copies of the book's pages."""
    from kzutils import meta
    from kzutils.build import notebooks as nb
    from kzutils.facts import all_facts

    repo = meta.repository_url(data_dir)
    facts = all_facts(data_dir)
    if check:
        stale = nb.out_of_date(book, target, repo, facts)
        for name in stale:
            print(f"out of date: {target / name}", file=sys.stderr)
        if stale:
            print("run `python -m kzutils notebooks` to regenerate them", file=sys.stderr)
        return 1 if stale else 0
    for path in nb.export(book, target, repo, facts):
        print(f"wrote {path}")
    return 0


def release_metadata(data_dir: Path, check: bool) -> int:
    """Write (or with check, compare) .zenodo.json and datapackage.json's `created`/`homepage` from CITATION.cff."""
    from kzutils import meta
    from kzutils.data import DESCRIPTOR

    generated = {meta.project_root(data_dir) / ".zenodo.json": meta.zenodo_json(data_dir),
                 data_dir / DESCRIPTOR: meta.datapackage_json(data_dir)}
    stale = [path for path, text in generated.items()
             if not path.is_file() or path.read_text(encoding="utf-8") != text]
    if check:
        for path in stale:
            print(f"{path} differs from CITATION.cff: run `python -m kzutils release-metadata`", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.write_text(generated[path], encoding="utf-8")
        print(f"wrote {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run one command; bad input ends in a message naming file, row and column, never a traceback."""
    try:
        return run(argv)
    except DataValidationError as error:
        return fail(error)
    except Exception as error:  # a bug or an unforeseen input: one line, not a traceback
        if os.environ.get("KZ_DEBUG"):
            raise
        print(f"kzutils: {type(error).__name__}: {error} (set KZ_DEBUG=1 for the traceback)", file=sys.stderr)
        return 2


def run(argv: list[str] | None = None) -> int:
    """Parse arguments and run one command."""
    parser = argparse.ArgumentParser(prog="python -m kzutils", description=__doc__)
    parser.add_argument("--data", type=Path, default=None, help="data package folder (default: find data/)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("validate", help="check every data resource")
    commands.add_parser("facts", help="print every named fact")
    build_parser = commands.add_parser("build", help="strict, never-stale book build")
    build_parser.add_argument("--book", type=Path, default=Path("book"))
    build_parser.add_argument("--out", type=Path, default=Path("book"))
    build_parser.add_argument("--builder", default="html", help="html or pdflatex")
    build_parser.add_argument("--edition", default="full", choices=["full", "student"],
                              help="student: the same book without exercise solutions")
    nb_parser = commands.add_parser("notebooks", help="write .ipynb copies of the book's pages")
    nb_parser.add_argument("--book", type=Path, default=Path("book"))
    nb_parser.add_argument("--to", type=Path, default=Path("notebooks"))
    nb_parser.add_argument("--check", action="store_true", help="only report copies that are out of date")
    release_parser = commands.add_parser(
        "release-metadata", help="write .zenodo.json and datapackage.json's created and homepage from CITATION.cff")
    release_parser.add_argument("--check", action="store_true", help="only report whether it is up to date")
    args = parser.parse_args(argv)
    data_dir = existing_folder(args.data, "--data") if args.data else find_data_dir()
    if args.command == "validate":
        return validate(data_dir)
    if args.command == "facts":
        return facts(data_dir)
    if args.command == "notebooks":
        return notebooks(data_dir, args.book, args.to, args.check)
    if args.command == "release-metadata":
        return release_metadata(data_dir, args.check)
    return build(data_dir, args.book, args.out, args.builder, args.edition)


if __name__ == "__main__":
    sys.exit(main())
