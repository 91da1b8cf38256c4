"""Flow tests: scenario files run through the flow runner, expectations, coverage, graphs, a pytest plugin."""
