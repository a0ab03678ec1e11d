"""Errors and warnings that airq raises for the user to act on."""

from __future__ import annotations


class AirqError(Exception):
    """Base class for problems the user can fix; the CLI shows the message, exit 1."""


class InputError(AirqError, ValueError):
    """An input file or value is missing, unreadable or of an unknown layout."""


class ImplausibleValueError(InputError):
    """A grid value inside the sampled area cannot be an annual mean.

    Negative, NaN, inf or above the pollutant's ceiling; ``--drop-implausible`` leaves
    such cells out instead.
    """


class CRSError(AirqError):
    """A coordinate reference system is missing, unknown or unusable."""


class NoOverlapError(AirqError):
    """Boundaries and grid do not overlap, or an area holds no usable grid point."""


class ConfigError(AirqError):
    """A configuration file or setting is invalid."""


class CatalogueError(AirqError, LookupError):
    """A grid or layer is not in the catalogue, or the catalogue is damaged."""


class OutputError(AirqError, OSError):
    """An output cannot be written (exists without --overwrite, folder missing...)."""


class CaseError(AirqError, LookupError):
    """A case is unknown or cannot be changed that way, or the case register is unusable."""


class AirqWarning(UserWarning):
    """Base class for recoverable problems; ``--strict`` turns them into errors."""


class AssumedCRSWarning(AirqWarning):
    """A grid had no CRS and EPSG:27700 was assumed because it is an LAEI grid."""


class AssumedUnitsWarning(AirqWarning):
    """A grid stated no units and µg/m³ was assumed."""


class UnitsWarning(AirqWarning):
    """A grid's units were converted, or cannot be compared with the objectives."""


class ImplausibleValueWarning(AirqWarning):
    """Implausible grid values were left out (``--drop-implausible``)."""


class GeometryRepairWarning(AirqWarning):
    """Invalid boundaries were repaired or empty ones dropped."""


class PartialOverlapWarning(AirqWarning):
    """Part of the boundaries lies outside the grid."""


class NodataWarning(AirqWarning):
    """Grid points inside the area are NODATA and were left out."""


class NoCellCentreWarning(AirqWarning):
    """A boundary holds no grid cell centre."""


class SyntheticDataWarning(AirqWarning):
    """An input is the synthetic demo data, not a real inventory."""
