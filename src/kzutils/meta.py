"""The book's citation metadata, read from CITATION.cff: the one place its version and release date live."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import yaml

from kzutils.data import find_data_dir

CITATION_FILE = "CITATION.cff"


def project_root(data_dir: Path | str | None = None) -> Path:
    """The repository folder: the parent of the data folder."""
    return (Path(data_dir) if data_dir is not None else find_data_dir()).resolve().parent


def citation(data_dir: Path | str | None = None) -> dict[str, Any]:
    """CITATION.cff as a dict (dates as ISO strings)."""
    path = project_root(data_dir) / CITATION_FILE
    record = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in record.items()}


def author_names(record: dict[str, Any]) -> list[str]:
    """Each author as printed in a reference: an entity's name or 'Family, Given'."""
    return [a.get("name") or f"{a['family-names']}, {a['given-names']}" for a in record["authors"]]


def authors_text(record: dict[str, Any]) -> str:
    """Authors as printed in a reference: entity names or 'Family, Given'."""
    names = author_names(record)
    return " and ".join(names)


def chapter_reference(title: str, docname: str, data_dir: Path | str | None = None) -> str:
    """A formatted reference to one chapter, with version and release date."""
    record = citation(data_dir)
    url = f"{record['url']}/blob/main/book/{docname}.md"
    return (f"{authors_text(record)} ({record['date-released'][:4]}). \u201c{title}.\u201d In *{record['title']}*, "
            f"version {record['version']}, released {record['date-released']}. {url}")


def chapter_bibtex(title: str, docname: str, data_dir: Path | str | None = None) -> str:
    """A BibTeX entry for one chapter, with version and release date."""
    record = citation(data_dir)
    key = "kztransition" + record["date-released"][:4] + docname.split("/")[-1].replace("-", "")
    return "\n".join([
        f"@incollection{{{key},",
        f"  author    = {{{{{authors_text(record)}}}}},",
        f"  title     = {{{{{title}}}}},",
        f"  booktitle = {{{{{record['title']}}}}},",
        f"  year      = {{{record['date-released'][:4]}}},",
        f"  edition   = {{Version {record['version']}, released {record['date-released']}}},",
        f"  url       = {{{record['url']}}},",
        "}",
    ])


def book_bibtex(data_dir: Path | str | None = None) -> str:
    """A BibTeX entry for the whole book."""
    record = citation(data_dir)
    return "\n".join([
        f"@book{{kztransition{record['date-released'][:4]},",
        f"  author    = {{{{{authors_text(record)}}}}},",
        f"  title     = {{{{{record['title']}}}}},",
        f"  year      = {{{record['date-released'][:4]}}},",
        f"  edition   = {{Version {record['version']}, released {record['date-released']}}},",
        f"  url       = {{{record['url']}}},",
        "}",
    ])


def zenodo_metadata(data_dir: Path | str | None = None) -> dict[str, Any]:
    """Release metadata for a DOI archive (Zenodo's .zenodo.json), derived from CITATION.cff."""
    record = citation(data_dir)
    return {
        "title": record["title"],
        "upload_type": "publication",
        "publication_type": "book",
        "description": " ".join(record["abstract"].split()),
        "creators": [{"name": name} for name in author_names(record)],
        "version": record["version"],
        "publication_date": record["date-released"],
        "license": record["license"].lower(),
        "keywords": record.get("keywords", []),
        "related_identifiers": [{"identifier": record["repository-code"], "relation": "isSupplementTo",
                                 "scheme": "url"}],
    }


def zenodo_json(data_dir: Path | str | None = None) -> str:
    """The text of .zenodo.json, as written by `python -m kzutils release-metadata`."""
    return json.dumps(zenodo_metadata(data_dir), indent=2, ensure_ascii=False) + "\n"
