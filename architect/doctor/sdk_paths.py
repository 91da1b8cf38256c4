"""Regenerate the Genesys Cloud API path list from a PureCloudPlatformClientV2 wheel.

    python -m architect.doctor.sdk_paths --regenerate WHEEL.whl   # writes architect/doctor/genesys-api-paths.jsonl

The SDK is generated from Genesys's public OpenAPI document, one API class per tag, one method per operation,
so its `apis/*.py` hold every public path and verb. Get the wheel with
`pip download --no-deps PureCloudPlatformClientV2` (https://pypi.org/project/PureCloudPlatformClientV2/).
The wheel is only read here, as files, never imported: the SDK is not a dependency of this project.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
import zipfile
from pathlib import Path

from architect.doctor.api_paths import DATA_FILE

SDK_PACKAGE = "PureCloudPlatformClientV2"

# Read models kept beside the body models: doctor recognises a participant object sent back as a request body.
READ_MODELS = ("Participant",)

_COLUMNS = ("verb", "path", "class", "method", "body", "summary", "deprecated", "headers")


def _string(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _dict_of_strings(node: ast.AST) -> dict[str, str] | None:
    if not isinstance(node, ast.Dict):
        return None
    pairs = {_string(k): _string(v) for k, v in zip(node.keys, node.values)}
    return None if None in pairs or None in pairs.values() else pairs


def operations_of_api_module(source: str) -> list[dict]:
    """Every operation of one `apis/*_api.py` module: verb, path, class, method, body model, summary, deprecated."""
    tree = ast.parse(source)
    found = []
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        for method in (n for n in cls.body if isinstance(n, ast.FunctionDef)):
            path = verb = None
            headers = []
            for node in ast.walk(method):
                # header_params['If-Match'] = params['if_match']: a header the operation declares.
                if (isinstance(node, ast.Assign) and len(node.targets) == 1
                        and isinstance(node.targets[0], ast.Subscript)
                        and isinstance(node.targets[0].value, ast.Name) and node.targets[0].value.id == "header_params"
                        and isinstance(node.value, ast.Subscript)):
                    name = _string(node.targets[0].slice)
                    if name and name not in headers:
                        headers.append(name)
                # resource_path = '/api/v2/...'.replace('{format}', 'json')
                if (isinstance(node, ast.Assign) and len(node.targets) == 1
                        and isinstance(node.targets[0], ast.Name) and node.targets[0].id == "resource_path"
                        and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Attribute)):
                    path = _string(node.value.func.value)
                # self.api_client.call_api(resource_path, 'PATCH', ...)
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr == "call_api" and len(node.args) >= 2):
                    verb = _string(node.args[1])
            if not path or not verb:
                continue
            body = next((a for a in method.args.args if a.arg == "body"), None)
            body_model = _string(body.annotation) if body is not None and body.annotation is not None else None
            doc = ast.get_docstring(method) or ""
            if body_model is None:
                # An optional body is not in the signature; the docstring names it: ":param ParticipantAttributes body:".
                documented = re.search(r"^:param (\w+) body:", doc, re.M)
                body_model = documented.group(1) if documented else None
            deprecated = any(isinstance(d, ast.Call) and getattr(d.func, "id", "") == "deprecated"
                             for d in method.decorator_list)
            found.append({
                "verb": verb.upper(),
                "path": path,
                "class": cls.name,
                "method": method.name,
                "body": body_model,
                "summary": doc.strip().splitlines()[0].strip() if doc.strip() else "",
                "deprecated": deprecated,
                "headers": headers,
            })
    return found


def fields_of_model_module(source: str) -> dict[str, str] | None:
    """A model's JSON field names -> SDK type (`str`, `dict(str, str)`, a model name), from swagger_types and attribute_map."""
    types = names = None
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Attribute):
            if node.targets[0].attr == "swagger_types":
                types = _dict_of_strings(node.value)
            elif node.targets[0].attr == "attribute_map":
                names = _dict_of_strings(node.value)
    if types is None or names is None:
        return None
    return {names[python_name]: sdk_type for python_name, sdk_type in types.items() if python_name in names}


def region_hosts_of_module(source: str) -> dict[str, str]:
    """The SDK's PureCloudRegionHosts enum: region name -> API base URL (https://api.mypurecloud.com, ...)."""
    hosts = {}
    for cls in (n for n in ast.parse(source).body if isinstance(n, ast.ClassDef) and n.name == "PureCloudRegionHosts"):
        for node in cls.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                value = _string(node.value)
                if value:
                    hosts[node.targets[0].id] = value
    return hosts


def _model_module_name(model: str) -> str:
    # ParticipantAttributes -> participant_attributes, the SDK's file naming.
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", model).lower()


def extract(wheel: Path) -> dict:
    """The data file's document: SDK version, every operation, and the fields of every conversations body model."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        version = next((re.match(r"(?i)purecloudplatformclientv2-([^/]+)\.dist-info/METADATA$", n) for n in names
                        if re.match(r"(?i)purecloudplatformclientv2-[^/]+\.dist-info/METADATA$", n)), None)
        if version is None:
            raise SystemExit(f"{wheel}: not a {SDK_PACKAGE} wheel (no dist-info METADATA)")
        operations = []
        for name in sorted(n for n in names if re.match(rf"{SDK_PACKAGE}/apis/[a-z0-9_]+_api\.py$", n)):
            operations.extend(operations_of_api_module(archive.read(name).decode("utf-8")))
        models = {}
        # Body models are kept for the conversations API only: that is what doctor checks bodies against.
        wanted = {op["body"] for op in operations if op["body"] and op["class"] == "ConversationsApi"} | set(READ_MODELS)
        for model in sorted(wanted):
            member = f"{SDK_PACKAGE}/models/{_model_module_name(model)}.py"
            if member in names:
                fields = fields_of_model_module(archive.read(member).decode("utf-8"))
                if fields is not None:
                    models[model] = fields
        hosts_member = f"{SDK_PACKAGE}/purecloud_region_hosts.py"
        hosts = region_hosts_of_module(archive.read(hosts_member).decode("utf-8")) if hosts_member in names else {}
    if not operations:
        raise SystemExit(f"{wheel}: no API operations found")
    if not hosts:
        raise SystemExit(f"{wheel}: no PureCloudRegionHosts found")
    operations.sort(key=lambda op: (op["path"], op["verb"]))
    return {
        "sdk": SDK_PACKAGE,
        "version": version.group(1),
        "source": f"https://pypi.org/project/{SDK_PACKAGE}/{version.group(1)}/",
        "fields": list(_COLUMNS),
        "operations": [[op[k] for k in _COLUMNS] for op in operations],
        "models": models,
        "regionHosts": hosts,
    }


def dump_document(document: dict) -> str:
    """JSON Lines: the header (SDK, version, columns, models, hosts) on the first line, then one operation a line,
    so that a regeneration shows in a diff as the operations added, removed or changed."""
    header = {key: value for key, value in document.items() if key != "operations"}
    lines = [json.dumps(header, separators=(",", ":"), ensure_ascii=False)]
    lines += [json.dumps(row, separators=(",", ":"), ensure_ascii=False) for row in document["operations"]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m architect.doctor.sdk_paths", description=__doc__.splitlines()[0])
    parser.add_argument("--regenerate", metavar="WHEEL", type=Path, required=True,
                        help="a PureCloudPlatformClientV2 wheel (pip download --no-deps PureCloudPlatformClientV2)")
    parser.add_argument("--out", type=Path, default=DATA_FILE, help=f"where to write (default {DATA_FILE})")
    args = parser.parse_args(argv)
    document = extract(args.regenerate)
    args.out.write_text(dump_document(document), encoding="utf-8")
    print(f"{args.out}: {len(document['operations'])} operations, {len(document['models'])} body models, "
          f"{document['sdk']} {document['version']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
