"""One module per schema revision of the case register, oldest first."""
