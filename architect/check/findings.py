"""What `companion check` reports: findings, and the catalogue of rule ids with their severities."""

from __future__ import annotations

import dataclasses

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}

# rule id -> (severity, one-line summary). Ids are stable: tools and docs refer to them.
# Sources: docs/reference/data-actions.md (DA, CT) and docs/reference/archy-flows.md (FL).
RULES: dict[str, tuple[str, str]] = {
    "DA001": (ERROR, "file is not valid JSON"),
    "DA002": (ERROR, "a key of the export shape is missing or has the wrong type (§1.1)"),
    "DA003": (WARNING, "key outside the export shape (§1.1); `secure` missing"),
    "DA004": (WARNING, "unknown integrationType (§1.1)"),
    "DA005": (ERROR, 'actionType is not "custom" (§1.1)'),
    "DA006": (ERROR, "name empty or longer than 256 characters (§1.1)"),
    "DA010": (ERROR, "unknown requestType: GET, PUT, POST, PATCH or DELETE (§1.1)"),
    "DA011": (ERROR, "timeoutSeconds is not an integer from 1 to 60 (§1.1, §5)"),
    "DA012": (WARNING, "translationMapDefaults value is not a JSON literal (§3.4)"),
    "DA013": (WARNING, "translationMapDefaults key has no translationMap entry (§3.4)"),
    "DA014": (WARNING, "formal ${input.x} on an optional input: prints its own name when unset (§3.1)"),
    "DA015": (WARNING, "string input inside a JSON string without $esc.jsonString (§3.1)"),
    "DA016": (INFO, "string input inserted into the JSON body as raw JSON; the caller must send valid JSON (§3.1)"),
    "DA017": (ERROR, "template refers to an input the contract does not declare: Velocity prints the reference"),
    "DA018": (INFO, "input in the URL without $esc.url/$esc.uriEncode (§3.1)"),
    "DA019": (INFO, "requestTemplate on a GET is ignored (§1.1)"),
    "DA022": (ERROR, "${INPUT.x} or another wrong-case reference: Velocity is case-sensitive"),
    "DA023": (ERROR, "translationMapDefaults value not valid for its output's type (\"\" for an integer)"),
    "DA024": (ERROR, "the request URL is an obvious placeholder (<host>, your-domain, changeme, ...)"),
    "DA025": (WARNING, "input in the query string without $esc.url: a + arrives as a space"),
    "DA026": (ERROR, "translationMap value is not a JSONPath the runtime (Jayway's rules) can evaluate"),
    "DA021": (INFO, "an integration type the local runtime does not run (AWS Lambda)"),
    "DA020": (WARNING, "URL does not fit the integration type: absolute for web services, /api/v2 for Genesys (§1.1)"),
    "CT001": (ERROR, "$ref in a contract (§2)"),
    "CT002": (ERROR, "contract is not an object schema (§2)"),
    "CT003": (ERROR, "input property is not a flat scalar (§2)"),
    "CT004": (ERROR, "property name does not match ^[A-Za-z][A-Za-z0-9_-]*$ (§2)"),
    "CT005": (ERROR, "reserved input name: orgId, integrationId, rawRequest (§2)"),
    "CT006": (ERROR, "nested array in the output contract (§2)"),
    "CT007": (ERROR, "`required` is not a list of declared property names (§2)"),
    "CT008": (WARNING, "$schema is not draft-04 (§2)"),
    "CT009": (ERROR, "output property is not a schema object (§2)"),
    "CT010": (WARNING, "keyword outside JSON Schema draft-04 (§2)"),
    "CT011": (ERROR, "not a valid draft-04 schema (§2)"),
    "FL001": (ERROR, "YAML does not parse"),
    "FL002": (WARNING, "unquoted yes/no/on/off/true/false key: YAML 1.1 loaders read a boolean (§4)"),
    "FL003": (WARNING, "unquoted yes/no/on/off value: YAML 1.1 and 1.2 loaders disagree (§4)"),
    "FL004": (ERROR, "callData successOutputs name not in the action's output contract (§2)"),
    "FL005": (ERROR, "callData input not in the action's input contract (§2)"),
    "FL006": (ERROR, "callData leaves a required input of the action without a value (§2)"),
    "FL007": (ERROR, "setParticipantData value is not a string (§3)"),
    "FL008": (WARNING, "successOutputs bound to a variable of another type than the contract's (§2)"),
    "FL009": (WARNING, "unrendered ${...} or <...> template placeholder, not Archy syntax (§2, §6)"),
    "FL010": (WARNING, "failureOutputs bound to variables in a call flow (§2)"),
    "FL011": (ERROR, "a mapping used as a key (§4)"),
    "FL012": (WARNING, "not an Archy flow, task or options file"),
    "FL013": (INFO, "callData action not among the data actions checked: its inputs and outputs were not cross-checked"),
    "FL014": (INFO, "callData actions cross-checked against data-action files found beside the flow"),
    "FL015": (INFO, "{{placeholder}} left for Archy to substitute; checked as an opaque value"),
    "FL016": (WARNING, "{{placeholder}} has no value in the --options file"),
}


@dataclasses.dataclass(frozen=True)
class Finding:
    """One problem: the file, where in it (JSON/YAML path, line when known), the rule, and what is wrong."""

    file: str
    path: str
    rule: str
    message: str
    severity: str
    line: int | None = None
    column: int | None = None

    def as_dict(self) -> dict:
        """The finding as a JSON-ready dict (for --json)."""
        return dataclasses.asdict(self)

    def as_text(self) -> str:
        """One human-readable line: file:line: severity RULE path: message."""
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.line is not None and self.column is not None:
            where += f":{self.column}"
        path = f" {self.path}:" if self.path else ""
        return f"{where}: {self.severity} {self.rule}{path} {self.message}"


def finding(file: str, path: str, rule: str, message: str, line: int | None = None, column: int | None = None,
            severity: str | None = None) -> Finding:
    """A Finding with the rule's catalogue severity (unless given)."""
    return Finding(file, path, rule, message, severity or RULES[rule][0], line, column)
