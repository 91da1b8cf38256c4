"""Every exported artifact as text, keyed by its path under the output folder; and writing them."""

from __future__ import annotations

from pathlib import Path

from architect.contracts import contract_for
from architect.contracts import flattened_outputs
from architect.export import terraform
from architect.export.attributes import validate_attribute_map
from architect.export.data_actions import build_data_action
from architect.export.data_actions import render_json
from architect.export.endpoints import CONTEXT
from architect.export.endpoints import endpoints_for
from architect.export.flows import render_flow_files
from architect.export.options import ExportOptions
from schemas.record import RecordField

DATA_ACTIONS_DIR = "data-actions"
TERRAFORM_DIR = "terraform"
FLOWS_DIR = "flows"


def context_outputs(custom: tuple[RecordField, ...] = ()) -> dict[str, str]:
    """Output name -> contract type of the context action (with the custom fields), the names an attribute map
    may use."""
    context = next(endpoint for endpoint in endpoints_for(custom) if endpoint.key == CONTEXT.key)
    return flattened_outputs(contract_for(context.response, "output"))


def generate_artifacts(options: ExportOptions) -> dict[str, str]:
    """Relative path -> file text for every artifact; the same options always give the same bytes."""
    validate_attribute_map(
        options.attributes, context_outputs(options.custom), options.attributes_file or "attribute map"
    )
    actions = [(endpoint, build_data_action(endpoint, options)) for endpoint in endpoints_for(options.custom)]
    files: dict[str, str] = {}
    for endpoint, action in actions:
        files[f"{DATA_ACTIONS_DIR}/{endpoint.file_name}"] = render_json(action)
    files[f"{TERRAFORM_DIR}/main.tf"] = terraform.main_tf(options)
    files[f"{TERRAFORM_DIR}/actions.tf"] = terraform.actions_tf(actions, options)
    files[f"{TERRAFORM_DIR}/variables.tf"] = terraform.variables_tf(options)
    files[f"{TERRAFORM_DIR}/outputs.tf"] = terraform.outputs_tf(actions, options)
    files[f"{TERRAFORM_DIR}/terraform.tfvars.example"] = terraform.tfvars_example(options)
    context_action = next(action for endpoint, action in actions if endpoint.key == CONTEXT.key)
    flow_files = render_flow_files(
        options,
        context_action["contract"]["input"]["inputSchema"],
        context_action["contract"]["output"]["successSchema"],
    )
    for name, text in flow_files.items():
        files[f"{FLOWS_DIR}/{name}"] = text
    return files


def write_artifacts(files: dict[str, str], out_dir: Path) -> list[Path]:
    """Write the files under out_dir (creating folders), byte for byte, and return their paths."""
    written = []
    for relative, text in files.items():
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        # newline="" so the bytes are the same on every platform.
        with path.open("w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        written.append(path)
    return written
