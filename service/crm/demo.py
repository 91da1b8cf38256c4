"""The demo CRM: a deterministic set of realistic customers, with the callers the sample flows use."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

from schemas.record import BUILTIN_NAMES
from schemas.record import RecordField
from service.crm.importer import ImportFileError
from service.crm.importer import RowRules
from service.crm.importer import import_rows

# The sample flows' callers (docs/crm.md). 555-0100..0199 numbers are reserved for fiction in North America.
VIP_PHONE = "+13175550116"  # Ada Lovelace: VIP, platinum, en-US
REGULAR_PHONE = "+13175550123"  # Charles Babbage: known caller, standard tier, not VIP
UNKNOWN_PHONE = "+13175550199"  # in no demo database: the unknown caller

VIP_CUSTOMER_ID = "CUST-000001"
REGULAR_CUSTOMER_ID = "CUST-000002"
DEMO_COUNT = 300
DEMO_SEED = 20240501
DEMO_TIERS = ("standard", "silver", "gold", "platinum")
DEMO_HEADER = BUILTIN_NAMES

_FIXED = (
    {
        "customerId": VIP_CUSTOMER_ID, "firstName": "Ada", "lastName": "Lovelace", "displayName": "Ada Lovelace",
        "email": "ada.lovelace@example.com", "phone": VIP_PHONE, "accountNumber": "ACC-10000001",
        "tier": "platinum", "segment": "enterprise", "preferredLanguage": "en-US", "priority": "95", "vip": "true",
        "openCases": "1", "lastContactAt": "2025-01-15T14:30:00Z",
    },
    {
        "customerId": REGULAR_CUSTOMER_ID, "firstName": "Charles", "lastName": "Babbage",
        "displayName": "Charles Babbage", "email": "charles.babbage@example.com", "phone": REGULAR_PHONE,
        "accountNumber": "ACC-10000002", "tier": "standard", "segment": "consumer", "preferredLanguage": "en-US",
        "priority": "40", "vip": "false", "openCases": "0", "lastContactAt": "2024-11-03T09:12:45Z",
    },
)
_FIRST = (
    "Olivia", "Liam", "Emma", "Noah", "Amelia", "Oliver", "Sophia", "Elijah", "Isabella", "Mateo", "Mia", "Lucas",
    "Aiko", "Hiroshi", "Priya", "Arjun", "Fatima", "Omar", "Chloe", "Jack", "Grace", "Leo", "Zoe", "Ethan",
    "Sofía", "Diego", "Lucía", "Camille", "Hugo", "Ingrid", "Lars", "Siobhán", "Connor", "Mei", "Wei", "Amara",
)
_LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez",
    "Lopez", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White",
    "Nguyen", "Patel", "Kim", "O'Brien", "Müller", "Dubois", "Rossi", "Tanaka", "Singh", "Okafor", "Walsh",
)
_US_AREAS = ("212", "312", "415", "617", "317", "206", "303", "404", "512", "702", "713", "305", "503", "614", "919")
_SEGMENTS = ("consumer", "consumer", "consumer", "small-business", "enterprise")
_TIER_WEIGHTS = ((("standard",) * 12) + (("silver",) * 4) + (("gold",) * 3) + ("platinum",))
_TIER_PRIORITY = {"standard": 20, "silver": 40, "gold": 60, "platinum": 80}
_RESERVED = {VIP_PHONE, REGULAR_PHONE, UNKNOWN_PHONE}
# Exchanges for the bulk numbers of a grown demo (bench/): never 555 (fiction) nor N11 (service codes).
_BULK_EXCHANGES = tuple(f"{n}" for n in range(201, 1000) if n % 100 != 11 and n != 555)


def _fictional_numbers() -> list[tuple[str, str]]:
    """(E.164, language) for the reserved-for-fiction ranges: US/CA 555-01xx, London 020 7946 0xxx (Ofcom),
    Sydney 02 5550 xxxx (ACMA)."""
    numbers = [(f"+1{area}55501{n:02d}", "en-US") for n in range(100) for area in _US_AREAS]
    numbers += [(f"+4420794600{n:02d}", "en-GB") for n in range(100)]
    numbers += [(f"+61255500{n:03d}", "en-AU") for n in range(100)]
    return [(number, language) for number, language in numbers if number not in _RESERVED]


def _bulk_number(index: int) -> str:
    area = _US_AREAS[index % len(_US_AREAS)]
    rest = index // len(_US_AREAS)
    exchange = _BULK_EXCHANGES[(rest // 10_000) % len(_BULK_EXCHANGES)]
    return f"+1{area}{exchange}{rest % 10_000:04d}"


def demo_records(count: int = DEMO_COUNT, seed: int = DEMO_SEED) -> Iterator[dict[str, str]]:
    """`count` customers as CSV values (field -> text): the fixed sample callers first, the same on every run."""
    rng = random.Random(seed)
    fictional = _fictional_numbers()
    rng.shuffle(fictional)
    for index in range(count):
        if index < len(_FIXED):
            yield dict(_FIXED[index])
            continue
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        slot = index - len(_FIXED)
        phone, language = fictional[slot] if slot < len(fictional) else (_bulk_number(slot - len(fictional)), "en-US")
        if language == "en-US" and rng.random() < 0.15:
            language = "es-US"
        tier = rng.choice(_TIER_WEIGHTS)
        vip = tier == "platinum" or rng.random() < 0.03
        local = f"{first}.{last}".lower().replace("'", "")
        yield {
            "customerId": f"CUST-{index + 1:06d}",
            "firstName": first,
            "lastName": last,
            "displayName": f"{first} {last}",
            # example.com/.org/.net are reserved for documentation (RFC 2606); some customers have no e-mail.
            "email": "" if rng.random() < 0.08 else f"{local}{index + 1}@example.{rng.choice(('com', 'org', 'net'))}",
            "phone": phone,
            "accountNumber": f"ACC-{10_000_000 + index + 1}",
            "tier": tier,
            "segment": rng.choice(_SEGMENTS),
            "preferredLanguage": language,
            "priority": str(min(100, _TIER_PRIORITY[tier] + rng.randint(0, 15) + (10 if vip else 0))),
            "vip": "true" if vip else "false",
            "openCases": str(rng.choice((0, 0, 0, 0, 1, 1, 2, 3))),
            "lastContactAt": "" if rng.random() < 0.05 else (
                f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:"
                f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z"
            ),
        }


def custom_values(custom: tuple[RecordField, ...], rng: random.Random) -> dict[str, str]:
    """Plausible CSV text for custom fields: integers within their bounds (0-1000 by default), booleans, and
    short words for strings."""
    values = {}
    for field in custom:
        if field.type == "integer":
            low, high = field.bounds
            values[field.name] = str(rng.randint(max(low, 0), min(high, 1000)))
        elif field.type == "boolean":
            values[field.name] = "true" if rng.random() < 0.2 else "false"
        else:
            values[field.name] = rng.choice(_LAST)
    return values


def demo_rows(
    count: int = DEMO_COUNT, seed: int = DEMO_SEED, custom: tuple[RecordField, ...] = ()
) -> Iterator[tuple[int, list[str]]]:
    """The demo customers as (line, CSV fields), header first, as import_rows takes them."""
    header = [*DEMO_HEADER, *(field.name for field in custom)]
    rng = random.Random(seed + 1)
    yield 1, header
    for line, record in enumerate(demo_records(count, seed), start=2):
        if custom:
            record.update(custom_values(custom, rng))
        yield line, [record[name] for name in header]


def create_demo_database(path: Path, count: int = DEMO_COUNT, custom: tuple[RecordField, ...] = ()) -> int:
    """Write a new demo database at path (which must not exist yet); returns the number of customers."""
    path = Path(path)
    if path.exists():
        raise ImportFileError(f"{path} already exists")
    problems = []
    report = import_rows(demo_rows(count, custom=custom), path, RowRules(DEMO_TIERS, "US", custom),
                         on_reject=problems.append)
    if problems:
        # The generator and the validation disagree: a bug here, never the user's data.
        raise RuntimeError(f"demo data failed validation: {problems[:3]}")
    return report.imported
