"""demand's pure domain rules: no I/O, no clock, no database."""
