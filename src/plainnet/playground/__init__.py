"""The playground: a local web app to watch a network learn (Learn) and read drawings (Draw).

``plainnet playground`` starts it (:func:`main`, :func:`run`); the Starlette app itself comes
from :func:`plainnet.playground.app.create_app`. Importing this package loads neither
Starlette nor uvicorn, so the ``plainnet`` command stays quick; serving needs the
``playground`` extra (starlette, uvicorn) and scikit-learn.
"""

from .server import add_arguments, main, run

__all__ = ["add_arguments", "main", "run"]
