"""Pure content layer: parse post files, build excerpts, transmissions and pages, render them.

Nothing in this package performs I/O, reads the clock or imports a platform or database library;
`tests/content/test_purity.py` enforces it.
"""
