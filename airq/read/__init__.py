"""Readers: the only code that opens input files (grids, boundaries, layers, catalogues)."""
