"""The committed API path list is what the extractor reads out of the real SDK's source (sdk-sample/)."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile

import pytest

from architect.doctor.api_paths import DATA_FILE
from architect.doctor.api_paths import read_document
from architect.doctor.sdk_paths import operations_of_api_module
from tests.doctor.conftest import HERE
from tests.servers import ROOT

SAMPLE = HERE / "sdk-sample"


def _wheel(tmp_path, version="269.0.0", with_hosts=True):
    wheel = tmp_path / f"purecloudplatformclientv2-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path in sorted((SAMPLE / "PureCloudPlatformClientV2").rglob("*.py")):
            if with_hosts or path.name != "purecloud_region_hosts.py":
                archive.write(path, path.relative_to(SAMPLE).as_posix())
        archive.writestr(f"purecloudplatformclientv2-{version}.dist-info/METADATA",
                         f"Metadata-Version: 2.4\nName: PureCloudPlatformClientV2\nVersion: {version}\n")
    return wheel


def _regenerate(wheel, out):
    return subprocess.run([sys.executable, "-m", "architect.doctor.sdk_paths", "--regenerate", str(wheel),
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_regenerating_from_sdk_source_gives_the_rows_committed(tmp_path):
    out = tmp_path / "paths.jsonl"
    result = _regenerate(_wheel(tmp_path), out)
    assert result.returncode == 0, result.stderr
    fresh = read_document(out)
    committed = read_document(DATA_FILE)
    assert (fresh["sdk"], fresh["version"], fresh["fields"]) == (committed["sdk"], committed["version"],
                                                                 committed["fields"])
    assert len(fresh["operations"]) == 2
    for row in fresh["operations"]:
        assert row in committed["operations"]
    for model in ("ParticipantAttributes", "MediaParticipantRequest"):
        assert fresh["models"][model] == committed["models"][model]
    assert fresh["regionHosts"] == committed["regionHosts"]


def test_the_committed_list_records_its_sdk_version_and_the_whole_api():
    committed = read_document(DATA_FILE)
    assert committed["source"] == f"https://pypi.org/project/PureCloudPlatformClientV2/{committed['version']}/"
    assert len(committed["operations"]) > 3000
    assert committed["models"]["ParticipantAttributes"] == {"attributes": "dict(str, str)"}
    assert "attributes" not in committed["models"]["MediaParticipantRequest"]


def test_an_operation_reads_verb_path_body_and_declared_headers():
    source = (SAMPLE / "PureCloudPlatformClientV2" / "apis" / "conversations_api.py").read_text(encoding="utf-8")
    by_method = {op["method"]: op for op in operations_of_api_module(source)}
    attributes = by_method["patch_conversation_participant_attributes"]
    assert (attributes["verb"], attributes["path"], attributes["body"], attributes["headers"]) == (
        "PATCH", "/api/v2/conversations/{conversationId}/participants/{participantId}/attributes",
        "ParticipantAttributes", [])
    assert by_method["patch_conversation_participant"]["body"] == "MediaParticipantRequest"


@pytest.mark.parametrize(("with_hosts", "message"), [(False, "no PureCloudRegionHosts")])
def test_a_wheel_without_what_doctor_needs_is_refused(tmp_path, with_hosts, message):
    result = _regenerate(_wheel(tmp_path, with_hosts=with_hosts), tmp_path / "paths.jsonl")
    assert result.returncode != 0 and message in result.stderr
    assert not (tmp_path / "paths.jsonl").exists()


def test_a_file_that_is_not_the_sdk_wheel_is_refused(tmp_path):
    other = tmp_path / "other.whl"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("something-1.0.dist-info/METADATA", "Name: something\n")
    result = _regenerate(other, tmp_path / "paths.jsonl")
    assert result.returncode != 0 and "not a PureCloudPlatformClientV2 wheel" in result.stderr


def test_javascript_method_names_are_the_javascript_sdks_own(api_paths):
    text = (HERE / "javascript-sdk-conversations-api.txt").read_text(encoding="utf-8")
    rows = re.findall(r"^\[\*\*(\w+)\*\*\]\([^)]*\) \| \*\*(\w+)\*\* (\S+) \|", text, re.M)
    compared = 0
    for name, verb, path in rows:
        operation = api_paths.operation(verb, path)
        if operation is None:
            continue  # an operation the API has dropped since that version of the page (chats)
        assert operation.javascript_method == name, path
        compared += 1
    assert compared >= 15
