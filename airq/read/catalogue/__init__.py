"""The catalogues under ``$AIRQ_HOME``: grids converted once, land-use layers stored once."""
