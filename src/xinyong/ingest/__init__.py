"""Furnisher file formats: one module (or package) per format."""
