"""Use cases, each in one unit of work: the only way entry points touch the ledger."""
