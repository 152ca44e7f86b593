"""The resource pool's rules, pure and free of I/O: lifecycle, duty and rest, reserve floor, commit
checks, task points, masking, roster rows and equipment compatibility."""
