"""How service/gunicorn_conf.py sets gunicorn up: no access line of its own (service.serving.AppAccessLineLogger)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.servers import GUNICORN_CONF
from tests.servers import ROOT

# Run in a child: the config file monkey-patches the process with gevent, as `gunicorn -c` does.
_PROBE = r"""
import datetime, json, logging, runpy, sys
from gunicorn.config import Config
from gunicorn.glogging import Logger

cfg = Config()
for name, value in runpy.run_path(sys.argv[1]).items():
    if name in cfg.settings:
        cfg.set(name, value)

class Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []
    def emit(self, record):
        self.records.append(record)

class Response:
    status, headers, sent = "200 OK", [], 10

class Request:
    headers = []

def access_records(logger_class):
    logger = logger_class(cfg)
    records = Records()
    logger.access_log.addHandler(records)
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/v1/trace", "QUERY_STRING": "",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "RAW_URI": "/v1/trace"}
    logger.access(Response(), Request(), environ, datetime.timedelta(milliseconds=3))
    return len(records.records)

print(json.dumps({"logger_class": f"{cfg.logger_class.__module__}.{cfg.logger_class.__name__}",
                  "accesslog": cfg.accesslog, "gunicorn": access_records(Logger),
                  "configured": access_records(cfg.logger_class)}))
"""


def test_gunicorn_builds_no_access_record_of_its_own():
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPANION_")}
    env["COMPANION_DEMO"] = "1"
    probe = subprocess.run([sys.executable, "-c", _PROBE, str(GUNICORN_CONF)], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=60, check=True)
    found = json.loads(probe.stdout.strip().splitlines()[-1])
    assert found["logger_class"] == "service.serving.AppAccessLineLogger"
    assert found["accesslog"] is None
    # gunicorn's own logger, under the service's logging config, builds a record for every request ...
    assert found["gunicorn"] == 1
    # ... and the configured one does not: the app's JSON line is the only access line.
    assert found["configured"] == 0

