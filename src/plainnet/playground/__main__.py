"""``python -m plainnet.playground``: the same as ``plainnet playground``."""

from .server import main

raise SystemExit(main())
