"""Model files: the .npz format with its JSON header, atomic writes, network2.py import."""
