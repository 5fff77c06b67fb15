"""The repository carries its own documents: every citation resolves inside it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIP = {".git", ".venv", "var", "node_modules", "vendor", "__pycache__", "docs"}
SUFFIXES = {".py", ".md", ".html", ".toml", ".txt", ".cfg", ".css", ".js", ".yaml"}
# A design document named without its folder points outside the repository.
BARE = re.compile(r"(?<![\w/.])(DESIGN|STYLE|UX|vobiz-api)\.md")
CITED = re.compile(r"docs/([\w-]+\.md)(?: §(\d+(?:\.\d+)?))?")


def project_files():
    for path in ROOT.rglob("*"):
        parts = set(path.relative_to(ROOT).parts)
        if path.is_file() and path.suffix in SUFFIXES and not parts & SKIP:
            yield path
    yield ROOT / "Makefile"


def sections(doc: Path) -> set[str]:
    found = set()
    for line in doc.read_text().splitlines():
        heading = re.match(r"#+ (\d+(?:\.\d+)?)[. ]", line)
        if heading:
            found.add(heading.group(1))
    return found


def test_nothing_cites_a_design_document_outside_the_repository():
    bare = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in project_files()
        for match in BARE.finditer(path.read_text(errors="ignore"))
    ]
    assert not bare


def test_every_cited_document_and_section_exists():
    missing = []
    for path in project_files():
        for doc, section in CITED.findall(path.read_text(errors="ignore")):
            target = ROOT / "docs" / doc
            if not target.exists() or (section and section not in sections(target)):
                missing.append(f"{path.relative_to(ROOT)} → docs/{doc} §{section}")
    assert not missing


def test_the_readme_map_lists_every_top_level_folder():
    readme = (ROOT / "README.md").read_text()
    folders = [
        p.name
        for p in ROOT.iterdir()
        if p.is_dir() and not p.name.startswith(".") and p.name not in SKIP
    ] + ["docs"]
    assert [f for f in folders if f"`{f}/`" not in readme] == []
