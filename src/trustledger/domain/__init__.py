"""The pure core: identifiers, rulebook, scoring. Imports nothing else of trustledger's."""
