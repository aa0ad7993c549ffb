"""`python bench/search_server.py --host H --port P`: `python -m network`, with the search
benchmark's generated notes known as a kind of result (they live only in the index: every
member may read them, loading one is free), so that searches over HTTP find them as the
in-process measures do. Used by `bench/search_bench.py --only http`."""

import runpy
import sys
from pathlib import Path

from gevent import monkey

monkey.patch_all()  # before anything opens a socket, as `python -m network` does

sys.path.insert(0, str(Path(__file__).resolve().parent))

import search_bench  # noqa: E402

search_bench.register_notes()
sys.argv[0] = "network"
runpy.run_module("network", run_name="__main__", alter_sys=True)
