"""Renderers: take a result object and return or write text, tables, maps, figures and reports."""
