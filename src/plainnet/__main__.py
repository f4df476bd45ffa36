"""``python -m plainnet``: the ``plainnet`` command."""

import sys

from .cli import main

sys.exit(main())
