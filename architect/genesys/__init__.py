"""Genesys Cloud facts that export, check and the runtime share, each defined once (sources in docs/reference/)."""
