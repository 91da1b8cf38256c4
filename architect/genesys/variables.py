"""Architect variables: the declaration keys, the data types they hold, and how data-action contracts map to them.

Sources (docs/reference/archy-variables.md): Architect's data types and variable scopes, the Archy YAML
declaration keys of real exported flows, and the contract type mapping of Call Data Action.
"""

from __future__ import annotations

# Declaration key -> Architect type name (the name updateData statements also use).
DECLARATIONS = {
    "stringVariable": "string",
    "integerVariable": "integer",
    "decimalVariable": "decimal",
    "booleanVariable": "boolean",
    "dateTimeVariable": "dateTime",
    "durationVariable": "duration",
    "phoneNumberVariable": "phoneNumber",
    "queueVariable": "queue",
    "jsonVariable": "json",
}
COLLECTION_SUFFIX = "Collection"
# Architect types whose values are objects, kept as given rather than converted.
OBJECT_TYPES = frozenset({"queue", "json"})
# Variable scopes a flow can declare and write (Common. in common modules, Slot. in bots).
WRITABLE_SCOPES = ("Task", "Flow", "State", "Common", "Slot")
# JSON Schema type of a data-action contract property -> the Architect type a flow binds it to.
CONTRACT_TO_ARCHITECT = {"string": "string", "integer": "integer", "number": "decimal", "boolean": "boolean"}
_ARCHITECT_TO_CONTRACT = {architect: contract for contract, architect in CONTRACT_TO_ARCHITECT.items()}


def declaration_type(key: str) -> str | None:
    """The Architect type of a `...Variable` declaration key (stringCollectionVariable -> stringCollection)."""
    if key in DECLARATIONS:
        return DECLARATIONS[key]
    if key.endswith(COLLECTION_SUFFIX + "Variable"):
        return key[: -len("Variable")]
    return None


def declaration_key(type_name: str) -> str:
    """The declaration key for an Architect type (integer -> integerVariable)."""
    return f"{type_name}Variable"


def is_collection(type_name: str) -> bool:
    """True for "<type>Collection" type names."""
    return type_name.lower().endswith(COLLECTION_SUFFIX.lower())


def architect_type(contract_type: str | None) -> str | None:
    """'integer' -> 'integer', 'number' -> 'decimal', 'string collection' -> 'stringCollection', else None."""
    if contract_type is None:
        return None
    if contract_type.endswith(" collection"):
        element = CONTRACT_TO_ARCHITECT.get(contract_type[: -len(" collection")])
        return f"{element}{COLLECTION_SUFFIX}" if element else None
    return CONTRACT_TO_ARCHITECT.get(contract_type)


def contract_type(type_name: str | None) -> str | None:
    """The contract type a variable of an Architect type holds: 'decimal' -> 'number', 'stringCollection' ->
    'string collection'; None for types no contract property has (dateTime, queue, ...)."""
    if type_name is None:
        return None
    if is_collection(type_name):
        element = _ARCHITECT_TO_CONTRACT.get(type_name[: -len(COLLECTION_SUFFIX)])
        return f"{element} collection" if element else None
    return _ARCHITECT_TO_CONTRACT.get(type_name)
