"""The book's citation metadata, read from CITATION.cff: the one place its version and release date live."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import yaml

from kzutils import reads

from kzutils.data import find_data_dir

CITATION_FILE = "CITATION.cff"


def project_root(data_dir: Path | str | None = None) -> Path:
    """The repository folder: the parent of the data folder."""
    return (Path(data_dir) if data_dir is not None else find_data_dir()).resolve().parent


def citation(data_dir: Path | str | None = None) -> dict[str, Any]:
    """CITATION.cff as a dict (dates as ISO strings)."""
    path = project_root(data_dir) / CITATION_FILE
    reads.record([path])
    record = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in record.items()}


def repository_url(data_dir: Path | str | None = None) -> str | None:
    """The book's public repository (CITATION.cff `repository-code`), or None while it has none."""
    from kzutils.validate import DataValidationError, web_address_problem

    url = citation(data_dir).get("repository-code")
    if url and (problem := web_address_problem(str(url))):
        raise DataValidationError(CITATION_FILE, None, "repository-code", problem)
    return str(url).rstrip("/") if url else None


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
    repo = repository_url(data_dir)
    where = f" {repo}/blob/main/book/{docname}.md" if repo else ""
    return (f"{authors_text(record)} ({record['date-released'][:4]}). \u201c{title}.\u201d In *{record['title']}*, "
            f"version {record['version']}, released {record['date-released']}.{where}")


def url_field(data_dir: Path | str | None = None) -> list[str]:
    """The BibTeX `url` line of the book's own entries: none while the book has no public repository."""
    repo = repository_url(data_dir)
    return [f"  url       = {{{repo}}},"] if repo else []


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
        *url_field(data_dir),
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
        *url_field(data_dir),
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
    } | ({"related_identifiers": [{"identifier": repo, "relation": "isSupplementTo", "scheme": "url"}]}
         if (repo := repository_url(data_dir)) else {})


def zenodo_json(data_dir: Path | str | None = None) -> str:
    """The text of .zenodo.json, as written by `python -m kzutils release-metadata`."""
    return json.dumps(zenodo_metadata(data_dir), indent=2, ensure_ascii=False) + "\n"


def datapackage_json(data_dir: Path | str | None = None) -> str:
    """The text of data/datapackage.json with `created` and `homepage` taken from CITATION.cff."""
    from kzutils.data import DESCRIPTOR

    path = (Path(data_dir) if data_dir is not None else find_data_dir()) / DESCRIPTOR
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    record, repo = citation(data_dir), repository_url(data_dir)
    synced = {"created": f"{record['date-released']}T00:00:00Z", **({"homepage": repo} if repo else {})}
    ordered: dict[str, Any] = {}
    for key, value in descriptor.items():
        if key == "homepage":
            continue
        ordered[key] = synced.pop(key, value)
        if key == "created":
            ordered.update(synced)
            synced = {}
    return json.dumps(ordered | synced, indent=2, ensure_ascii=False) + "\n"


def release_epoch(data_dir: Path | str | None = None) -> str:
    """The release date in CITATION.cff as seconds since 1970 (SOURCE_DATE_EPOCH: reproducible figures)."""
    released = dt.date.fromisoformat(citation(data_dir)["date-released"])
    return str(int(dt.datetime(released.year, released.month, released.day, tzinfo=dt.timezone.utc).timestamp()))
