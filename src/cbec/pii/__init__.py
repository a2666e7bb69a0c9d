"""Personal data at rest: re-sealing under a new key (``cbec pii rotate``) and erasing what
the retention period no longer allows (``cbec pii purge``). The primitives (sealing, blind
indexes, masks) are in :mod:`cbec.privacy`."""
