"""`python -m network.search <index folder> <delay>`: the index writer process of a server
(`network.search.writer`; run as its own module, which the package already imports)."""

from network.search.writer import main

main()
