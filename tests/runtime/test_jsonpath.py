"""JSONPath with Jayway semantics: definite and indefinite paths, not found, functions (docs/reference/jayway-jsonpath.md)."""

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
        # After an indefinite step a function runs once per match (FunctionPathToken.evaluate): strings give null.
        ("$.participants[*].userId.length()", DOCUMENT, [None, None, None]),
        ("$..proficiency.sum()", DOCUMENT, 6.5),  # $..x.fn() is $.fn($..x) (CompiledPath.java)
        ("$.id.length()", DOCUMENT, None),  # Jayway length() is for arrays and objects only
    ],
)
def test_tail_functions(path, document, expected):
    assert evaluate(path, document) == expected


@pytest.mark.parametrize("path", ["$.absent.size()", "$.noResults.sum()", "$.noResults.first()"])
def test_tail_function_on_nothing_is_missing(path):
    assert evaluate(path, DOCUMENT) is MISSING


@pytest.mark.parametrize("path", ["$.queue[?(@.a", "$.queue[x]", "$[?(@.a ==)]", "", "$.queue."])
def test_unparseable_path_is_an_error_naming_it(path):
    with pytest.raises(JsonPathError) as caught:
        evaluate(path, DOCUMENT)
    assert repr(path) in str(caught.value)


# --- Jayway's dialect, one test per class of behaviour (docs/reference/jayway-jsonpath.md) -------------------


@pytest.mark.parametrize("path, expected", [
    ("id", "c-1"),  # PathCompiler puts `$.` in front of a path without a root
    ("queue.name", "VIP"),
    ("['participants'][?(@.purpose=='agent')].userId", ["agent-7", "agent-8"]),
    ("@.queue.id", "q-1"),  # `@` at the top is the document
    (".name", ["VIP", "Billing", "Sales"]),  # `$.` + `.name` is the deep scan `$..name`
])
def test_path_without_a_root_is_read_from_the_document(path, expected):
    assert evaluate(path, DOCUMENT) == expected


ITEMS = [{"a": "ab", "n": 42, "s": "42", "d": ["v1", "v2"], "o": {"k": "v"}, "u": "ö"},
         {"a": "xy", "n": -12.3, "s": "x", "d": ["v1"], "o": {}, "u": "o"}]


@pytest.mark.parametrize("path, expected_indexes", [
    ("$[?(@.a =~ /a.*/)]", [0]),
    ("$[?(@.a =~ /A.*/i)]", [0]),
    ("$[?(!(@.n == 42))]", [1]),
    ("$[?(!@.missing)]", [0, 1]),
    ('$[?(@.d == ["v1","v2"])]', [0]),
    ('$[?(@.o == {"k":"v"})]', [0]),
    ("$[?(@.d.length() == 1)]", [1]),
    ("$[?(@.n === 42)]", [0]),
    ("$[?(@.s === 42)]", []),  # === also compares the types
    ("$[?(@.n == -0.123e2)]", [1]),
    ("$[?(@.u == '\\u00f6')]", [0]),
])
def test_filter_operators_jayway_has(path, expected_indexes):
    assert evaluate(path, ITEMS) == [ITEMS[i] for i in expected_indexes]


@pytest.mark.parametrize("path, document, expected", [
    ("$[?(@.s == 42)]", ITEMS, [ITEMS[0]]),  # the string "42" equals the number 42
    ("$[?(@.n == '42')]", ITEMS, [ITEMS[0]]),
    ("$[?(@.key)]", {"key": 1}, [{"key": 1}]),  # a filter on an object tests the object itself
    ("$[?(@.o.*)]", ITEMS, ITEMS),  # an indefinite path exists even when it finds nothing
    ("$[?(1==1)]", [1, 2], [1, 2]),
    ("$[?(@.a == @.missing)]", ITEMS, []),  # a missing key is equal to nothing
    ("$[?(@.a != @.missing)]", ITEMS, ITEMS),
    ("$[?(@.d[*] == 'v1')]", ITEMS, []),  # a list never equals a scalar
    ("$[?(@.o.* == 'v')]", ITEMS, []),
])
def test_filter_semantics_follow_jayway(path, document, expected):
    assert evaluate(path, document) == expected


def test_several_keys_give_one_map_and_a_list_of_maps_after_a_wildcard():
    assert evaluate("$['id','zero','absent']", DOCUMENT) == {"id": "c-1", "zero": 0}
    assert is_definite("$['id','zero']")
    assert evaluate("$.entities.*['name','proficiency']", DOCUMENT) == DOCUMENT["entities"]


@pytest.mark.parametrize("path, expected", [
    ("$.numbers[0:3:2]", [3, 1, 2]),  # the step is ignored
    ("$.numbers[-1:2]", [2, 3, 1]),  # a negative start is not clamped: indexes -1, 0, 1
    ("$.numbers[1:-1]", []),
    ("$.numbers[-2:]", [1, 2]),
])
def test_slices_follow_jayway_rules(path, expected):
    assert evaluate(path, DOCUMENT) == expected


@pytest.mark.parametrize("path", ["$[:]", "$[::2]", "$[0:99999999999]"])
def test_slices_jayway_refuses(path):
    with pytest.raises(JsonPathError):
        evaluate(path, [1])


@pytest.mark.parametrize("path, document, expected", [
    ("$.屬性", {"屬性": "v"}, "v"),
    ("$.'key'", {"key": 1, "'key'": 2}, 2),  # the quotes are part of a dot name
    ('$."key"', {"key": 1, '"key"': 3}, 3),
    ("$['*']", {"*": "star", "a": 1}, "star"),  # a quoted * is a key
])
def test_quoted_and_non_ascii_names(path, document, expected):
    assert evaluate(path, document) == expected


@pytest.mark.parametrize("path", ["$[?(@.key=42)]", "$[?(true)]", "$[?@.key==42]", "$[key]", "$.[key]"])
def test_paths_jayway_refuses_are_refused_with_the_path_named(path):
    with pytest.raises(JsonPathError) as refused:
        evaluate(path, {"key": 42})
    assert repr(path) in str(refused.value) and "refused by Jayway" in str(refused.value)


def test_filter_on_a_scalar_after_definite_steps_fails_the_evaluation():
    with pytest.raises(JsonPathError, match="can not be applied to primitives"):
        evaluate("$.id[?(@.a)]", DOCUMENT)
