"""``python -m plainnet.playground``: the same as ``plainnet playground``."""

import sys

from ..cli import main

raise SystemExit(main(["playground", *sys.argv[1:]]))
