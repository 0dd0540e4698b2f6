"""Hash the outputs of committed scenarios, to prove that a refactor changes no bytes.

usage:
    python tools/same_bytes.py CHECKOUT OUT.json [--fast] [--only NAME ...]
    python tools/same_bytes.py --compare A.json B.json

Each scenario runs in a fresh temporary working folder (so outputs/ and the relic cache start
empty) with CHECKOUT/.venv/bin/python (else this interpreter, with CHECKOUT first on the path)
and DIPSCAN_HOME=CHECKOUT. Every file under
outputs/<name>/ is hashed (sha256 of its bytes), except that in provenance.json the fields
that change from run to run or between checkouts are dropped: timings, the events source
(computed or from the events cache), the git commit and dirty flag, and the checkout's own
path (replaced by "<home>"). Key order is still compared.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

FAST = ["examples/tiny", "examples/tiny_nu", "examples/tiny_recast", "na62_delta0p01", "fig4_mu"]
# Provenance fields that differ between two runs of the same computation: wall-clock times,
# the state of the checkout (commit, dirty flag) and compute_sha256, which digests the package's
# own source files and so changes with any edit of the code, a refactor included.
VOLATILE = [("timings_s",), ("events_source",), ("dipscan", "commit"), ("dipscan", "dirty"),
            ("compute_sha256",)]


def _drop(record: dict, path: tuple[str, ...]) -> None:
    for key in path[:-1]:
        record = record.get(key, {})
        if not isinstance(record, dict):
            return
    record.pop(path[-1], None)


def file_hash(path: Path, checkout: Path) -> str:
    data = path.read_bytes()
    if path.name == "provenance.json":
        text = data.decode().replace(str(checkout), "<home>")
        record = json.loads(text)
        for field in VOLATILE:
            _drop(record, field)
        data = json.dumps(record).encode()  # no sort_keys: key order is part of the output
    return hashlib.sha256(data).hexdigest()


def run_one(checkout: Path, name: str) -> dict[str, str]:
    # The checkout's own venv, else this interpreter with the checkout first on the path
    # (for a bare `git archive` of another commit).
    python = checkout / ".venv" / "bin" / "python"
    python = python if python.exists() else Path(sys.executable)
    env = {**os.environ, "DIPSCAN_HOME": str(checkout),
           "PYTHONPATH": os.pathsep.join([str(checkout), os.environ.get("PYTHONPATH", "")])}
    env.pop("DIPSCAN_KERNELS", None)
    with tempfile.TemporaryDirectory(prefix="same_bytes_") as work:
        env["DIPSCAN_SAMPLE_CACHE"] = str(Path(work) / "samples")
        where = subprocess.run([str(python), "-c", "import dipscan; print(dipscan.__file__)"],
                               cwd=work, env=env, capture_output=True, text=True, check=True)
        if not where.stdout.strip().startswith(str(checkout)):
            sys.exit(f"dipscan imported from {where.stdout.strip()}, not from {checkout}")
        scenario = checkout / "scenarios" / f"{name}.toml"
        done = subprocess.run([str(python), "-m", "dipscan.cli", "run", str(scenario)],
                              cwd=work, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"{name}: run failed\n{done.stdout}\n{done.stderr}")
        outputs = [p for p in (Path(work) / "outputs").iterdir() if not p.name.startswith(".")]
        hashes = {}
        for folder in outputs:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    hashes[str(path.relative_to(folder.parent))] = file_hash(path, checkout)
        return hashes


def compare(a: Path, b: Path) -> int:
    left, right = json.loads(a.read_text()), json.loads(b.read_text())
    differences = []
    for name in sorted(set(left) | set(right)):
        files_a, files_b = left.get(name, {}), right.get(name, {})
        for f in sorted(set(files_a) | set(files_b)):
            if files_a.get(f) != files_b.get(f):
                differences.append(f"{name}: {f}")
    print("\n".join(differences) if differences else f"same bytes: {len(left)} scenarios")
    return 1 if differences else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs=2, type=Path)
    parser.add_argument("--fast", action="store_true", help="the tiny examples plus two studies")
    parser.add_argument("--only", nargs="*", help="scenario names (relative to scenarios/)")
    parser.add_argument("--compare", action="store_true", help="compare two hash files")
    args = parser.parse_args()
    if args.compare:
        return compare(*args.paths)
    checkout, out = args.paths[0].resolve(), args.paths[1]
    if args.only:
        names = args.only
    elif args.fast:
        names = FAST
    else:
        names = sorted(str(p.relative_to(checkout / "scenarios").with_suffix(""))
                       for p in (checkout / "scenarios").glob("*.toml"))
    result = {}
    for name in names:
        result[name] = run_one(checkout, name)
        print(f"{name}: {len(result[name])} files", flush=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
