"""The playground: a local web app to watch a network learn (Learn) and read drawings (Draw).

``plainnet playground`` starts it; :func:`create_app` builds the Starlette app for tests or
other servers. Needs the ``playground`` extra (starlette, uvicorn) and scikit-learn.
"""

from .app import create_app
from .server import add_parser, main

__all__ = ["add_parser", "create_app", "main"]
