"""Docstrings and comments cite sections of docs/physics.md that exist, and no file outside it."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CITED = re.compile(r'docs/physics\.md[,:]?\s*\(?"([^"]+)"')


def _sources():
    for folder in ("dipscan", "tests"):
        yield from sorted((ROOT / folder).rglob("*.py"))
    yield ROOT / "scenarios" / "README.md"


def _section_titles():
    titles = set()
    for line in (ROOT / "docs" / "physics.md").read_text().splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip()
            titles.add(title)
            titles.add(re.sub(r"\s*\(.*\)$", "", title))  # "Detector response (`dipscan/...`)"
    return titles


def test_cited_sections_exist():
    titles = _section_titles()
    cited = {(path.name, m.group(1)) for path in _sources() for m in CITED.finditer(path.read_text())}
    assert cited, "the pattern finds the citations"
    missing = sorted(f"{name}: {title!r}" for name, title in cited if title not in titles)
    assert not missing, missing


def test_no_citation_of_notes_outside_the_repository():
    stale = "physics-" + "notes"  # split so that this file does not match itself
    hits = [str(path.relative_to(ROOT)) for path in _sources() if stale in path.read_text()]
    assert not hits, hits


def test_readme_model_keys_follow_the_model_registry():
    """The [model] key table of scenarios/README.md is the registry's; regenerate it when they differ."""
    import dipscan.physics.models  # noqa: F401 (fills the registry)
    from dipscan.physics.models.registry import markdown_keys

    text = (ROOT / "scenarios" / "README.md").read_text()
    table = re.search(r"<!-- keys:model[^>]*-->\n(.*?)\n<!-- /keys:model -->", text, re.S)
    assert table, "scenarios/README.md has the keys:model markers"
    assert table.group(1) == markdown_keys(), "paste dipscan.physics.models.registry.markdown_keys() between the markers"
