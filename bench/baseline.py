"""The bare-Flask baseline: one constant JSON body, served by the same gunicorn config as the service."""

from flask import Flask

app = Flask(__name__)
_BODY = {
    "traceId": "dce33e2c8d9251a722bd13c97305adc9",
    "spanId": "0f547819506e04a2",
    "traceparent": "00-dce33e2c8d9251a722bd13c97305adc9-0f547819506e04a2-01",
    "ddTraceId": "2503178723826970057",
    "ddTraceIdHigh": "dce33e2c8d9251a7",
    "ddSpanId": "1104639858731517090",
}


@app.route("/v1/<path:name>", methods=["GET", "POST"])
def constant(name):
    """Answer every /v1 path with the same small JSON object, reading nothing."""
    return _BODY


@app.get("/healthz")
def healthz():
    """Readiness probe for the harness."""
    return {"status": "ok"}
