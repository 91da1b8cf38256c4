"""The /v1 API blueprint: every route behind API-key auth."""

from flask import Blueprint
from flask import current_app
from flask import request

from service.auth import key_is_valid
from service.auth import presented_key
from service.errors import ApiError

bp = Blueprint("v1", __name__, url_prefix="/v1")


@bp.before_request
def _require_api_key():
    settings = current_app.extensions["companion.settings"]
    if not key_is_valid(presented_key(request.environ), settings.api_keys):
        raise ApiError.unauthorized()


# Views register themselves on bp when imported.
from service.api import customer  # noqa: E402,F401
from service.api import trace  # noqa: E402,F401
