"""The `companion doctor` command."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from architect.doctor.api_paths import load_api_paths
from architect.doctor.correction import correct
from architect.doctor.curl import parse_curl
from architect.doctor.curl import parse_curl_text
from architect.doctor.curl import render_curl
from architect.doctor.diagnose import diagnose
from architect.doctor.findings import SEVERITY_ORDER
from architect.doctor.flow_keys import flow_keys
from architect.doctor.in_flow import in_flow_alternative
from architect.doctor.request import DoctorInputError
from architect.doctor.request import looks_like_http_message
from architect.doctor.request import parse_http_message
from architect.doctor.request import request_from_parts


def _read_request(curl_words, method, url, headers, body):
    if url is not None:
        if curl_words:
            raise DoctorInputError("give either a curl command or --url, not both")
        if body is not None and body.startswith("@"):
            try:
                body = Path(body[1:]).read_text(encoding="utf-8")
            except OSError as exc:
                raise DoctorInputError(f"--body {body}: cannot read it: {exc.strerror or exc}") from None
        return request_from_parts(method, url, headers, body)
    if method is not None or headers or body is not None:
        raise DoctorInputError("--method, --header and --body go with --url")
    if not curl_words:
        raise DoctorInputError("give the failing request: a curl command, `-` to read one from standard input, "
                               "or --url (with --method and --body)")
    if list(curl_words) == ["-"]:
        text = sys.stdin.read()
        if not text.strip():
            raise DoctorInputError("standard input is empty: pipe the curl command into `companion doctor -`")
        if looks_like_http_message(text):
            return parse_http_message(text)
        if not text.lstrip().startswith("curl"):
            raise DoctorInputError("standard input is neither a curl command (`curl ...`) nor an HTTP request "
                                   "(`PATCH /api/v2/... HTTP/1.1`, then headers and body)")
        return parse_curl_text(text)
    return parse_curl(list(curl_words))


@click.command("doctor", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option("--method", help="HTTP method of the request (default PATCH), with --url.")
@click.option("--url", help="The request's URL, instead of a curl command.")
@click.option("--header", "headers", multiple=True, metavar="'NAME: VALUE'", help="A request header, with --url.")
@click.option("--body", help="The request body (JSON text, or @FILE), with --url.")
@click.option("--flow", "flow_file", type=click.Path(dir_okay=False), metavar="FLOW.yaml",
              help="An Archy flow that runs on the call: doctor checks the keys it sets and reads.")
@click.option("--in-flow", "in_flow", is_flag=True,
              help="The data is for a flow during the call: also show the in-flow alternative.")
@click.option("--json", "as_json", is_flag=True, help="Print the diagnosis as one JSON document.")
@click.argument("curl_command", nargs=-1, type=click.UNPROCESSED)
def doctor_command(method, url, headers, body, flow_file, in_flow, as_json, curl_command):
    """Tell why a participant-attributes request returned 2xx and stored nothing, and print the right one.

    Give the request as a curl command (`companion doctor curl -X PATCH URL -d BODY`; doctor's own options go
    before it), as `-` to read a curl command or an HTTP request (`PATCH /api/v2/... HTTP/1.1`, headers, body)
    from standard input, or as --url with --method and --body.
    Exit code 0 when the request stores its attributes, 1 when it would not, 2 when it cannot be read.
    """
    try:
        request = _read_request(curl_command, method, url, headers, body)
        flow = flow_keys(flow_file) if flow_file else None
    except DoctorInputError as exc:
        raise click.UsageError(str(exc)) from None
    paths = load_api_paths()
    diagnosis = diagnose(request, paths, flow)
    findings = sorted(diagnosis.findings, key=lambda f: SEVERITY_ORDER[f.severity])
    correction = None if diagnosis.persists else correct(diagnosis, paths)
    keys = sorted((correction.request.json_body()["attributes"] if correction else diagnosis.attributes or {}))
    flow_needs_it = flow is not None and bool(set(keys) & (flow.reads | flow.sets))
    alternative = in_flow_alternative(keys) if (in_flow or flow_needs_it) else None
    if as_json:
        document = {
            "request": request.as_dict(),
            "persists": diagnosis.persists,
            "operation": (f"{diagnosis.operation.verb} {diagnosis.operation.path}" if diagnosis.operation else None),
            "findings": [f.as_dict() for f in findings],
            "corrected": correction.as_dict() if correction else None,
            "inFlow": alternative,
            "pathList": {"sdk": paths.sdk, "version": paths.version, "source": paths.source},
        }
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        click.echo(f"{request.method} {request.url}")
        for item in findings:
            click.echo(item.as_text())
        errors = sum(1 for f in findings if f.severity == "error")
        if diagnosis.persists:
            click.echo("\nThis request stores its attributes (mind the warnings above).")
        else:
            click.echo(f"\nThis request would not store the attributes ({errors} error{'s' if errors != 1 else ''}).")
            click.echo("\nCorrected request:\n")
            click.echo(render_curl(correction.request))
            click.echo(f"\nPython SDK, {correction.python_method}:\n")
            click.echo(correction.python)
            click.echo(f"\nJavaScript SDK, {correction.javascript_method}:\n")
            click.echo(correction.javascript)
            for note in correction.notes:
                click.echo(f"\nnote: {note}")
        if alternative:
            click.echo("\nIf a flow needs this data during the call, let the flow fetch it instead:")
            for step in alternative["steps"]:
                click.echo(f"  - {step}")
        click.echo(f"\nAPI paths: {paths.sdk} {paths.version} ({paths.source})")
    click.get_current_context().exit(0 if diagnosis.persists else 1)
