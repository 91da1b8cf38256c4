"""`companion check`: lint data-action JSON and Archy flow YAML against Genesys's rules."""
