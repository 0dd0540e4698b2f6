"""Rewrite the key tables of scenarios/README.md marked `<!-- keys:KIND.TABLE ... -->` from the schema.

usage: python tools/readme_keys.py   (the test suite fails while a table differs from the schema)
"""

from pathlib import Path

from dipscan.config.schema import fill_key_tables

README = Path(__file__).resolve().parents[1] / "scenarios" / "README.md"

if __name__ == "__main__":
    text = README.read_text()
    filled = fill_key_tables(text)
    if filled != text:
        README.write_text(filled)
    print(f"{README}: {'rewritten' if filled != text else 'already current'}")
