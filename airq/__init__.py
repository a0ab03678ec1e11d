"""airq: modelled air quality and land-use history for a street, for UK EHOs."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("airq-eho")
except PackageNotFoundError:  # running from a checkout that was not installed
    __version__ = "0.1.0+unknown"

__all__ = ["__version__"]
