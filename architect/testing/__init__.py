"""Flow tests: scenario files run through the flow runner, expectations, coverage, graphs, a pytest plugin."""

# What a scenario file's name ends with: what `companion test DIR` and the pytest plugin collect, and what
# `companion check DIR` leaves out (a scenario file is not a flow).
SCENARIO_SUFFIX = ".scenarios.yaml"
