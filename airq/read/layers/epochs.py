"""Land use by map epoch: the column names that mark such a layer when no mapping is given."""

from __future__ import annotations

# Column names that mark a land-use-by-epoch layer when no mapping is given.
EPOCH_FIELD_NAMES = ("epoch", "map_epoch", "mapepoch", "map_year", "mapyear", "epoch_year")


EPOCH_CLASS_NAMES = ("landuse", "land_use", "luclass", "lu_class", "class", "category", "use")
