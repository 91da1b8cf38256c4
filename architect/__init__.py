"""Architect side: data-action contracts, export of the Genesys artifacts, the checker and the local runtime."""
