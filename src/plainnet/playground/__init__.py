"""The playground: a local web app to watch a network learn (Learn) and read drawings (Draw).

:func:`serve` serves it (``plainnet playground`` and ``python -m plainnet.playground`` call it),
with a Draw model from :func:`load_model` or trained at start-up; the Starlette app itself comes
from :func:`plainnet.playground.app.create_app`. Importing this package loads neither Starlette
nor uvicorn, so the ``plainnet`` command stays quick; serving needs the ``playground`` extra
(starlette, uvicorn) and scikit-learn.
"""

from .server import load_model, serve

__all__ = ["load_model", "serve"]
