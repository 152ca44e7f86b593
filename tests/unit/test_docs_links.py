"""Every relative link in README.md, docs/ and bench/README.md points to a file that exists, and every
`#anchor` into a markdown file names one of its headings."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", ROOT / "bench" / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {slug(m) for m in re.findall(r"^#+ (.+)$", text, re.M)}


def links(path: Path) -> list[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return [t for t in LINK.findall(text) if not re.match(r"[a-z][a-z+.-]*:", t)]


def test_the_documents_exist():
    assert len(DOCS) > 10
    for name in ("integration", "deployment", "security", "reliability"):
        assert (ROOT / "docs" / f"{name}.md").is_file(), name
    assert "assumptions" in anchors(ROOT / "README.md")  # the table of assumed values, on the front page


def test_every_relative_link_resolves():
    broken = []
    for doc in DOCS:
        for target in links(doc):
            file, _, anchor = unquote(target).partition("#")
            dest = (doc.parent / file).resolve() if file else doc
            if not dest.exists():
                broken.append(f"{doc.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                broken.append(f"{doc.relative_to(ROOT)}: {target} (no such heading)")
    assert not broken, "\n".join(broken)


def test_the_readme_links_every_document_under_docs():
    readme = {(ROOT / unquote(t).partition("#")[0]).resolve() for t in links(ROOT / "README.md")}
    for doc in (ROOT / "docs").glob("*.md"):
        assert doc.resolve() in readme, doc.name
    for doc in (ROOT / "docs" / "design").glob("*.md"):
        assert doc.resolve() in readme, doc.name
    assert (ROOT / "bench" / "README.md").resolve() in readme
