"""Local data-action runtime: run a Genesys data action definition against a real HTTP endpoint."""
