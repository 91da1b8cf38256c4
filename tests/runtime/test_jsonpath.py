"""JSONPath with Jayway semantics (reference docs/reference/data-actions.md §3.3, §3.4)."""

import pytest

from architect.runtime.jsonpath import MISSING, JsonPathError, evaluate, is_definite

DOCUMENT = {
    "id": "c-1",
    "nothing": None,
    "zero": 0,
    "queue": {"id": "q-1", "name": "VIP"},
    "presenceDefinition": {"id": "p-1", "systemPresence": "Available"},
    "results": [{"data": [{"qualifier": "IDLE", "stats": {"count": 2}},
                          {"qualifier": "INTERACTING", "stats": {"count": 5}}]}],
    "noResults": [],
    "participants": [
        {"purpose": "customer", "userId": None, "externalContactId": "ext-9"},
        {"purpose": "agent", "userId": "agent-7"},
        {"purpose": "agent", "userId": "agent-8"},
    ],
    "conversations": [
        {"conversationId": "conv-a", "participants": [{"purpose": "customer"}, {"purpose": "agent"}]},
        {"conversationId": "conv-b", "participants": [{"purpose": "customer"}]},
    ],
    "entities": [{"name": "Billing", "proficiency": 4}, {"name": "Sales", "proficiency": 2.5}],
    "numbers": [3, 1, 2],
}


@pytest.mark.parametrize(
    "path, expected",
    [
        ("$.id", "c-1"),
        ("$.queue.id", "q-1"),
        ("$['queue']['name']", "VIP"),
        ("$.['presenceDefinition'].id", "p-1"),  # bracket form used in Genesys examples
        ("$.participants[1].userId", "agent-7"),
        ("$.participants[-1].userId", "agent-8"),
        ("$.zero", 0),
        ("$.queue", {"id": "q-1", "name": "VIP"}),
    ],
)
def test_definite_path_gives_the_value_itself(path, expected):
    assert is_definite(path)
    assert evaluate(path, DOCUMENT) == expected


@pytest.mark.parametrize("path", ["$.nothing", "$.participants[0].userId"])
def test_json_null_is_a_value_not_missing(path):
    value = evaluate(path, DOCUMENT)
    assert value is None and value is not MISSING


@pytest.mark.parametrize(
    "path",
    [
        "$.absent",
        "$.queue.absent",
        "$.absent.deeper",
        "$.nothing.deeper",  # stepping into null
        "$.id.deeper",  # stepping into a string
        "$.participants[9].userId",  # index out of range on a definite path
        "$.queue[0]",  # index into an object
    ],
)
def test_definite_path_that_does_not_resolve_is_missing(path):
    assert evaluate(path, DOCUMENT) is MISSING


@pytest.mark.parametrize(
    "path, expected",
    [
        ("$.results[0].data..qualifier", ["IDLE", "INTERACTING"]),
        ("$.results[0].data..stats.count", [2, 5]),
        ("$.entities..name", ["Billing", "Sales"]),
        ("$.entities..proficiency", [4, 2.5]),
        ("$.participants[*].purpose", ["customer", "agent", "agent"]),
        ("$.participants[?(@.purpose=='agent')].userId", ["agent-7", "agent-8"]),
        ("$.participants[?(@.purpose == 'customer')].externalContactId", ["ext-9"]),
        ("$.participants[?(@.purpose=='supervisor')].userId", []),
        ("$.participants[*].absent", []),  # absences after the first indefinite step are forgiven
        ("$.numbers[0:2]", [3, 1]),
        ("$.numbers[0,2]", [3, 2]),
        ("$.queue.*", ["q-1", "VIP"]),
        ("$.noResults[0].data..qualifier", []),  # index out of range inside an indefinite path: no results
        ("$.participants[?(@.purpose in ['agent', 'bot'])].userId", ["agent-7", "agent-8"]),
        ("$.conversations[?('agent' in @.participants[*].purpose)].conversationId", ["conv-a"]),
        ("$.conversations[?('agent' nin @.participants[*].purpose)].conversationId", ["conv-b"]),
    ],
)
def test_indefinite_path_always_gives_a_list(path, expected):
    assert not is_definite(path)
    assert evaluate(path, DOCUMENT) == expected


def test_single_match_of_an_indefinite_path_is_still_a_list():
    assert evaluate("$.participants[?(@.purpose=='customer')].purpose", DOCUMENT) == ["customer"]


@pytest.mark.parametrize(
    "path",
    [
        "$.absent[0].data..qualifier",  # absent property in the definite prefix: Jayway raises
        "$.absent[*].userId",
        "$.absent[?(@.purpose=='agent')].userId",
    ],
)
def test_indefinite_path_with_a_broken_definite_prefix_is_missing(path):
    assert evaluate(path, DOCUMENT) is MISSING


@pytest.mark.parametrize(
    "path, document, expected",
    [
        ("$.size()", [{"a": 1}, {"a": 2}, {"a": 3}], 3),  # example A: Peek Full Event
        ("$.size()", {"a": 1, "b": 2}, 2),
        ("$.length()", [], 0),
        ("$.numbers.length()", DOCUMENT, 3),
        ("$.numbers.sum()", DOCUMENT, 6.0),
        ("$.numbers.min()", DOCUMENT, 1.0),
        ("$.numbers.max()", DOCUMENT, 3.0),
        ("$.numbers.avg()", DOCUMENT, 2.0),
        ("$.queue.keys()", DOCUMENT, ["id", "name"]),
        ("$.numbers.first()", DOCUMENT, 3),
        ("$.numbers.last()", DOCUMENT, 2),
        ("$.participants[*].userId.length()", DOCUMENT, 3),
        ("$.id.length()", DOCUMENT, None),  # Jayway length() is for arrays and objects only
    ],
)
def test_tail_functions(path, document, expected):
    assert evaluate(path, document) == expected


@pytest.mark.parametrize("path", ["$.absent.size()", "$.noResults.sum()", "$.noResults.first()"])
def test_tail_function_on_nothing_is_missing(path):
    assert evaluate(path, DOCUMENT) is MISSING


@pytest.mark.parametrize("path", ["queue.id", "$.queue[", "$[?(@.a ==)]", ""])
def test_unparseable_path_is_an_error_naming_it(path):
    with pytest.raises(JsonPathError) as caught:
        evaluate(path, DOCUMENT)
    assert repr(path) in str(caught.value)
