"""The audit log: an append-only, hash-chained record of officer and system decisions."""
