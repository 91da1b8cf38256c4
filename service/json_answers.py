"""JSON answers encoded by orjson: the JSON Flask's own provider writes, for a fraction of the cost.

Every answer of the service is a dict Flask turns into JSON (`app.json.response`). Flask encodes it with the
standard library's json module; orjson (https://github.com/ijl/orjson) writes the same compact JSON
(`{"a":1}`, no spaces, keys in the order given) several times faster, which is a measurable part of an
answer's cost (docs/performance.md). Values orjson does not encode itself go to Flask's own `default`
(dates as HTTP dates, Decimal, dataclasses), so they come out as Flask writes them. Anything orjson refuses
(an integer wider than 64 bits, a key that is not a string) is answered by Flask's provider as before.

One difference, by choice: text outside ASCII is sent as UTF-8, which JSON's RFC 8259 §8.1 requires of a
JSON text exchanged between systems, instead of as \\u escapes. Both decode to the same string.
"""

from __future__ import annotations

import orjson
from flask.json.provider import DefaultJSONProvider

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_APPEND_NEWLINE


class AnswerJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider with answers encoded by orjson; keys keep the order the view gave them."""

    sort_keys = False

    def response(self, *args, **kwargs):
        """The JSON answer for a view's value, as DefaultJSONProvider.response writes it in compact mode."""
        obj = self._prepare_response_obj(args, kwargs)
        if self.compact is False or (self.compact is None and self._app.debug):
            return super().response(obj)
        body = self.answer_body(obj)
        if body is None:
            return super().response(obj)
        return self._app.response_class(body, mimetype=self.mimetype)

    def answer_body(self, obj) -> bytes | None:
        """The body response() sends for `obj` in compact mode; None for a value only Flask's provider writes."""
        try:
            return orjson.dumps(obj, default=self.default, option=_OPTIONS)
        except TypeError:  # orjson.JSONEncodeError is a TypeError
            return None
