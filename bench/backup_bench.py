"""Benchmark `flask backup create` and `flask backup restore` (issue 16).

Builds a cooperative of `--members` members (as `bench/members_bench.py` does: skills, entry
stages, search index) in a SQLite database in a temporary folder, adds `--files` stored
files of `--file-kb` kB of random bytes (incompressible, like WebP pictures and PDFs), then
runs, each as its own process as an operator would:

- `flask backup create --to <folder>`, and
- `flask backup restore <archive>` into a second, empty data folder (database, files, then
  the search index rebuilt),

and prints their wall time, the archive's size and the rate. It is not a test: it prints
figures. The temporary folders are removed unless `--keep`.

Run from the project root:

    .venv/bin/python bench/backup_bench.py --members 20000 --files 2000 --file-kb 60
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import members_bench as mb  # noqa: E402

PROJECT_DIR = Path(__file__).resolve().parent.parent


def add_files(data_dir: Path, count: int, size_kb: int) -> int:
    folder = data_dir / "uploads" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for number in range(count):
        data = os.urandom(size_kb * 1024)
        (folder / f"{number:06x}-full.webp").write_bytes(data)
        total += len(data)
    return total


def flask(data_dir: Path, *args: str) -> tuple[float, str]:
    env = {
        **os.environ,
        "TERREAU_DATA_DIR": str(data_dir),
        "FLASK_APP": "network:create_app",
        "PYTHONPATH": str(PROJECT_DIR),
    }
    env.pop("DATABASE_URL", None)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "flask", *args],
        env=env,
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return elapsed, done.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--file-kb", type=int, default=60)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="terreau-backup-bench-"))
    try:
        source, target, backups = root / "source", root / "restored", root / "backups"
        print(f"building {args.members} members in {source}…", flush=True)
        mb.build_database(source, args.members)
        stored = add_files(source, args.files, args.file_kb)
        database = (source / mb.DB_FILE).stat().st_size
        print(f"  database {database / 2**20:.1f} MiB, files {stored / 2**20:.1f} MiB")
        seconds, said = flask(source, "backup", "create", "--to", str(backups))
        (archive,) = backups.glob("terreau-*.tar.gz")
        size = archive.stat().st_size
        print(f"create:  {seconds:6.1f} s  archive {size / 2**20:.1f} MiB  ({said})")
        print(f"         {(database + stored) / 2**20 / seconds:6.1f} MiB/s of data read")
        seconds, said = flask(target, "backup", "restore", str(archive))
        print(f"restore: {seconds:6.1f} s  ({said}; search index rebuilt)")
        print(f"         {(database + stored) / 2**20 / seconds:6.1f} MiB/s of data written")
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
