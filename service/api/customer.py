"""POST /v1/customer and POST /v1/context: the caller's CRM fields, alone or with the call's trace context."""

from __future__ import annotations

import logging
import time

from flask import current_app

from schemas import ContextRequest
from schemas import ContextResponse
from schemas import CustomerQuery
from schemas import CustomerResponse
from schemas.customer import with_custom_fields
from schemas.record import RecordField
from service.api import bp
from service.api.docs import documented
from service.api.trace import trace_answer
from service.api.trace import trace_for
from service.body import load_body
from service.compiled_loader import CompiledLoader
from service.crm.base import Lookup
from service.crm.keys import normalise_keys
from service.crm.phones import PhoneError
from service.errors import ApiError
from service.logs import log_fields
from service.logs import mask_phone
from service.logs import mask_pii
from service.metrics import observe_crm

log = logging.getLogger("companion.crm")

CUSTOMER_QUERY = CompiledLoader(CustomerQuery())
_customer_response = CustomerResponse()
CONTEXT_REQUEST = CompiledLoader(ContextRequest())
_NO_LOOKUP = Lookup(record=None, source="none", outcome="miss")
# Every customer key with its default, in the schema's order, from the schema itself. Answers are built on
# it instead of a marshmallow dump (the largest cost of a lookup): backends already return typed records
# (service.crm.base.Lookup), so a dump would only fill the defaults in.
# The app's custom fields (COMPANION_FIELDS_FILE) are added by customer_defaults at start-up.
_CUSTOMER_DEFAULTS = _customer_response.dump({})
ERRORS = (400, 401, 413, 415, 500, 503)


def customer_defaults(custom: tuple[RecordField, ...]) -> dict[str, object]:
    """Every customer key with its default, in the response's order, the custom fields last."""
    return with_custom_fields(CustomerResponse, custom)().dump({})


def phone_message(error: PhoneError) -> str:
    """The 400 message for an unusable phone, e.g. "Not a usable phone number: it is not a phone number."."""
    return f"Not a usable phone number: it {error}."


def lookup_customer(backend, keys: dict[str, str], fields: dict) -> Lookup:
    """Ask the backend, time it for the metrics, and note the outcome in the access line's fields."""
    started = time.perf_counter()
    try:
        result = backend.lookup(keys)
    except Exception:
        # Backends answer degraded rather than raise; should one raise anyway, the call flow still gets its
        # answer (and the trace part of /v1/context), and the log gets the traceback.
        log.exception("CRM backend raised instead of answering degraded", extra={"backend": backend.name})
        result = Lookup(None, backend.name, degraded=True, outcome="error", reason="the CRM backend failed")
    observe_crm(result.outcome, time.perf_counter() - started)
    fields["crm.outcome"] = result.outcome
    fields["crm.source"] = result.source
    if result.degraded:
        fields.update({"crm.degraded": True, "crm.reason": result.reason})
    return result


def customer_fields(result: Lookup, extensions: dict) -> dict:
    """The record plus found/degraded/source; 503 instead when degraded answers are configured as errors."""
    if result.degraded and extensions["companion.settings"].degraded_as_503:
        raise ApiError.unavailable(f"The CRM could not answer: {result.reason or 'unavailable'}.")
    record = result.record or {}
    defaults = extensions.get("companion.customer_defaults", _CUSTOMER_DEFAULTS)
    answer = {name: record.get(name, default) for name, default in defaults.items()}
    answer.update(found=result.found, degraded=result.degraded, source=result.source)
    return answer


def _note_phone(data: dict, keys: dict | None, fields: dict) -> None:
    """The caller's number on the access line, masked; E.164 when it could be read (raw URIs carry host digits)."""
    if keys and "phone" in keys:
        fields["crm.phone"] = mask_phone(keys["phone"])
    elif (data.get("phone") or "").strip():
        # A rejected value can have any shape (+1,317,555,0116, +1317x555x0116): every digit but the last
        # four is masked, whatever separates them.
        fields["crm.phone"] = mask_phone(data["phone"].strip()[:64])


def customer_body(data: dict, extensions: dict, fields: dict) -> dict:
    """The /v1/customer answer for a loaded CustomerQuery, with the app's extensions; notes the outcome in `fields`.

    :raise ApiError: 400 for an unusable phone; 503 when the CRM answered degraded and degraded answers are
        configured as errors.
    """
    try:
        keys = normalise_keys(data, extensions["companion.settings"].default_region)
    except PhoneError as exc:
        _note_phone(data, None, fields)
        raise ApiError.invalid_input({"phone": [phone_message(exc)]}) from None
    _note_phone(data, keys, fields)
    return customer_fields(lookup_customer(extensions["companion.crm"], keys, fields), extensions)


@bp.post("/customer")
@documented(summary="CRM fields for the caller", request=CustomerQuery, response=CustomerResponse, errors=ERRORS)
def customer():
    """The customer matching phone, customerId, email or accountNumber; found=false and defaults on a miss."""
    return customer_body(load_body(CUSTOMER_QUERY), current_app.extensions, log_fields())


def context_body(data: dict, extensions: dict, fields: dict) -> dict:
    """The /v1/context answer for a loaded ContextRequest, with the app's extensions; notes the outcome in `fields`.

    :raise ApiError: 503 when the CRM answered degraded and degraded answers are configured as errors.
    """
    settings = extensions["companion.settings"]
    trace = trace_for(data["conversationId"], data["participantId"], settings, fields)
    try:
        keys = normalise_keys(data, settings.default_region)
    except PhoneError as exc:
        # Lenient by design: a withheld or odd ANI must not cost the flow its trace ids; other keys still count.
        fields["crm.skipped"] = mask_phone(f"phone: {phone_message(exc)}")
        keys = normalise_keys({**data, "phone": ""}, settings.default_region)
    _note_phone(data, keys, fields)
    if keys:
        result = lookup_customer(extensions["companion.crm"], keys, fields)
    else:
        fields.setdefault("crm.skipped", "no lookup key given")
        result = _NO_LOOKUP
    return {**trace_answer(trace), **customer_fields(result, extensions)}


@bp.post("/context")
@documented(summary="Trace context and CRM fields in one call", request=ContextRequest, response=ContextResponse,
            errors=ERRORS)
def context():
    """Trace ids for the conversation and the caller's CRM fields, flat; the trace part is always there."""
    return context_body(load_body(CONTEXT_REQUEST), current_app.extensions, log_fields())
