"""dataTableLookup against local data tables: rows as the Genesys rows API returns them, looked up by key."""

from __future__ import annotations

import json
from pathlib import Path

from architect.runtime.flow.outputs import branch
from architect.runtime.flow.errors import FlowFailure, SimulationError
from architect.runtime.flow.values import NOT_SET, EvaluationError, ExpressionError, to_architect_string


class DataTableError(ValueError):
    """A data table file cannot be read or is not a list of rows."""


def load_data_table(path: str | Path) -> dict[str, dict]:
    """Rows by key from a JSON file: a list of row objects, or the rows API's {"entities": [...]}."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataTableError(f"{path}: cannot read the data table: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise DataTableError(f"{path}: not JSON: {exc}") from None
    rows = document.get("entities") if isinstance(document, dict) else document
    if not isinstance(rows, list):
        raise DataTableError(f"{path}: expected a list of rows or {{\"entities\": [...]}}")
    table = {}
    for index, row in enumerate(rows):
        # The rows API names the key column "key" whatever the table calls it
        # (GET/POST /api/v2/flows/datatables/{id}/rows; Insert-IVR-Cache-Entry.json posts {"key": ...}).
        if not isinstance(row, dict) or not isinstance(row.get("key"), str):
            raise DataTableError(f"{path}: row {index} must be an object with a string \"key\"")
        table[row["key"]] = row
    return table


def data_table_lookup(runner, body, path):
    """dataTableLookup: found binds foundOutputs (column -> variable) and runs found; else notFound."""
    tables = body.get("dataTable")
    if not isinstance(tables, dict) or len(tables) != 1:
        raise SimulationError("dataTable must name one table: {<table>: {foundOutputs: ...}}", f"{path}/dataTable")
    (table_name, binding), = tables.items()
    binding = binding or {}
    rows = runner.data_tables.get(str(table_name))
    if rows is None:
        raise SimulationError(f"data table {table_name!r} was not given (companion simulate --data-table "
                              f"\"{table_name}=rows.json\")", f"{path}/dataTable/{table_name}")
    key = runner.value(body.get("lookupValue"), f"{path}/lookupValue")
    if key is NOT_SET:
        raise FlowFailure("the lookup value is NOT_SET", f"{path}/lookupValue")
    try:
        key_text = to_architect_string(key)
    except ExpressionError as exc:
        raise SimulationError(str(exc), f"{path}/lookupValue") from None
    row = rows.get(key_text)
    outcome = "found" if row is not None else "notFound"
    runner.record("dataTableLookup", path, body.get("name"), table=table_name, key=key_text, outcome=outcome)
    if row is not None:
        for column, slot in (binding.get("foundOutputs") or {}).items():
            where = f"{path}/dataTable/{table_name}/foundOutputs/{column}"
            variable = slot.get("var") if isinstance(slot, dict) else None
            if variable is None:
                continue
            value = row.get(column, NOT_SET)
            try:
                runner.scope.assign(variable, value)
            except EvaluationError as exc:
                raise FlowFailure(str(exc), where) from None
            except ExpressionError as exc:
                raise SimulationError(str(exc), where) from None
    runner.run_actions(branch(body.get("outputs"), outcome), f"{path}/outputs/{outcome}/actions")
