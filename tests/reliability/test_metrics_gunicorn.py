"""GET /metrics under real gunicorn with 2 workers: samples from every worker, added up exactly."""

import os
import signal
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import API_KEY
from tests.conftest import TRACE_SECRET
from tests.servers import GunicornServer

pytestmark = pytest.mark.e2e

AUTH = {"Authorization": f"Bearer {API_KEY}"}


def worker_pids(server: GunicornServer) -> set[int]:
    """The gunicorn master's child processes, from /proc."""
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return {int(child) for child in children}


def open_files(pid: int) -> list[str]:
    """Paths a process holds open (sockets come and go meanwhile; those are skipped)."""
    paths = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            paths.append(os.readlink(fd))
        except FileNotFoundError:
            continue
    return paths


def scrape(server: GunicornServer) -> dict[tuple, float]:
    """Every sample of /metrics as {(name, sorted labels): value}."""
    response = requests.get(f"{server.url}/metrics", timeout=5)
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def trace_count(samples: dict, status_class: str = "2xx") -> float:
    key = ("companion_http_request_duration_seconds_count", (("endpoint", "/v1/trace"), ("status_class", status_class)))
    return samples.get(key, 0.0)


def pids_with_samples(metrics_dir: Path, exclude: int) -> set[int]:
    """Processes that wrote histogram samples (the files are histogram_<pid>.db)."""
    return {int(path.stem.rsplit("_", 1)[1]) for path in metrics_dir.glob("histogram_*.db")} - {exclude}


@pytest.fixture
def metrics_dir(tmp_path):
    path = tmp_path / "metrics"
    path.mkdir()
    # Left over from an earlier run: must be wiped, or its counts would come back.
    (path / "counter_999999.db").write_bytes(b"stale samples from a previous run")
    (path / "notes.txt").write_text("not ours; must survive")
    return path


@pytest.fixture
def server(demo_db, metrics_dir):
    env = {
        "COMPANION_API_KEYS": API_KEY,
        "COMPANION_TRACE_SECRET": TRACE_SECRET,
        "COMPANION_SQLITE_PATH": str(demo_db),
        "COMPANION_WORKERS": "2",
        "COMPANION_THREADS": "4",
        "COMPANION_METRICS_DIR": str(metrics_dir),
    }
    with GunicornServer(env) as running:
        yield running


def send_traces(server: GunicornServer, count: int) -> int:
    """POST /v1/trace `count` times over fresh connections from 8 threads; returns how many got 200."""

    def one(n: int) -> int:
        response = requests.post(f"{server.url}/v1/trace", json={"conversationId": f"m-{n}"}, headers=AUTH, timeout=5)
        return response.status_code

    with ThreadPoolExecutor(8) as pool:
        return sum(status == 200 for status in pool.map(one, range(count)))


def test_metrics_add_up_every_worker_and_count_each_request_exactly_once(server, metrics_dir):
    assert trace_count(scrape(server)) == 0
    sent = 0
    # Until both workers have served some (the kernel picks the worker per connection); bounded.
    while len(pids_with_samples(metrics_dir, server.process.pid)) < 2 and sent < 2000:
        sent += send_traces(server, 40)
    assert len(pids_with_samples(metrics_dir, server.process.pid) & worker_pids(server)) == 2
    # Whichever worker answers /metrics, it reports the sum over both.
    for _ in range(4):
        samples = scrape(server)
        assert trace_count(samples) == sent
        assert samples[("companion_http_requests_in_flight", ())] == 1  # the scrape itself


def test_metrics_dir_is_wiped_of_old_samples_and_nothing_else(server, metrics_dir):
    assert not (metrics_dir / "counter_999999.db").exists()
    assert (metrics_dir / "notes.txt").read_text() == "not ours; must survive"


def test_a_killed_worker_leaves_its_counts_but_not_its_in_flight_requests(server, metrics_dir):
    sent = 0
    while len(pids_with_samples(metrics_dir, server.process.pid)) < 2 and sent < 2000:
        sent += send_traces(server, 40)
    victim = min(worker_pids(server))
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 15
    while (victim in worker_pids(server) or len(worker_pids(server)) < 2) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert victim not in worker_pids(server) and len(worker_pids(server)) == 2
    # child_exit dropped the dead worker's live gauges; its counters still count.
    assert not list(metrics_dir.glob(f"gauge_live*_{victim}.db"))
    samples = scrape(server)
    assert trace_count(samples) == sent
    assert samples[("companion_http_requests_in_flight", ())] == 1


def test_a_temporary_metrics_dir_is_created_per_server_and_removed_on_exit(demo_db):
    env = {"COMPANION_API_KEYS": API_KEY, "COMPANION_TRACE_SECRET": TRACE_SECRET, "COMPANION_WORKERS": "1",
           "COMPANION_SQLITE_PATH": str(demo_db)}
    server = GunicornServer(env).start()
    try:
        requests.post(f"{server.url}/v1/trace", json={"conversationId": "t"}, headers=AUTH, timeout=5)
        assert trace_count(scrape(server)) == 1
        # Where the worker writes its samples: the files it holds open.
        (worker,) = worker_pids(server)
        (path,) = {Path(f).parent for f in open_files(worker) if f.endswith(".db")}
        assert path.name.startswith("companion-metrics-") and path.parent == Path(tempfile.gettempdir())
    finally:
        assert server.stop() == 0
        server.log_path.unlink(missing_ok=True)
    assert not path.exists()
