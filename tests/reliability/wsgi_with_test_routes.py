"""The product app plus two test-only routes, for gunicorn in tests: `tests.reliability.wsgi_with_test_routes:app`.

The product has no slow or failing route, and must not get one; the drain and debug-mode tests need both.
"""

import time

from flask import Blueprint
from flask import current_app
from flask import request

from service import create_app
from service.auth import key_is_valid
from service.auth import presented_key
from service.errors import ApiError

MAX_SLEEP_S = 10.0

testing = Blueprint("testing", __name__, url_prefix="/v1/testing")


@testing.before_request
def _require_api_key():
    # Same rule as every /v1 route of the product.
    if not key_is_valid(presented_key(request.environ), current_app.extensions["companion.settings"].api_keys):
        raise ApiError.unauthorized()


@testing.post("/slow")
def slow():
    """Sleep ?seconds= (at most MAX_SLEEP_S), then answer: a request that is still in flight on demand."""
    seconds = min(float(request.args.get("seconds", "1")), MAX_SLEEP_S)
    time.sleep(seconds)
    return {"slept": seconds}


@testing.post("/fail")
def fail():
    """An unexpected exception, as a bug in a view would raise."""
    raise RuntimeError("deliberate failure with a local secret: do-not-leak-0123456789")


app = create_app()
app.register_blueprint(testing)
