"""logistics' pure domain logic: no I/O, plain values in and out."""
