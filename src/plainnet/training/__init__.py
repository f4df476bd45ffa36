"""The fit loop and what surrounds it: History, callbacks, the progress display, Ctrl-C."""
