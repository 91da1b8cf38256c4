"""The SQLite backend read through real gunicorn (2 workers) and directly from threads while real
`companion crm import` processes replace every customer: no failed lookup, no 5xx, and no import seen in part.

Every import changes all customers at once from one generation to the next (tier and segment together).
Readers alternate between customers at the two ends of the file, which an import writes seconds apart;
each reader's next read starts after its previous answer, so once it has seen a generation it may never see
an older one again. A partly visible import (say, committed batch by batch) shows the first rows new and
the last ones old, and breaks that order; test_the_check_sees_an_import_split_in_two proves it would.
"""

from __future__ import annotations

import dataclasses
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from service.crm.importer import RowRules
from service.crm.importer import import_csv
from service.crm.sqlite import SqliteBackend
from tests.crm.conftest import customer
from tests.crm.conftest import write_csv
from tests.reliability.crm_load import AUTH
from tests.reliability.crm_load import API_KEY
from tests.reliability.crm_load import TRACE_SECRET
from tests.reliability.crm_load import restart_signs
from tests.reliability.crm_load import wait_for_workers
from tests.reliability.crm_load import worker_pids
from tests.servers import ROOT
from tests.servers import GunicornServer

pytestmark = pytest.mark.e2e

COMPANION = str(Path(sys.executable).with_name("companion"))
RULES = RowRules(("standard", "silver", "gold", "platinum"), "US")
ROWS = 50_000
EDGE = 200  # readers pick from the first and the last EDGE customers of the file
GENERATIONS = {1: ("gold", "gen-1"), 2: ("platinum", "gen-2")}
GENERATION_OF = {fields: generation for generation, fields in GENERATIONS.items()}
HTTP_READERS = 8
DIRECT_READERS = 2
# Readers pause between reads: unpaced, 8 HTTP clients saturate the 2 cores and the import, which validates
# on every core, takes four times as long without reading anything more that matters.
PAUSE_S = 0.005


def generation_rows(generation: int, numbers: range) -> list[dict[str, str]]:
    tier, segment = GENERATIONS[generation]
    return [customer(n, tier=tier, segment=segment) for n in numbers]


@pytest.fixture(scope="module")
def csv_files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("generations")
    files = {f"gen-{g}": write_csv(folder / f"gen-{g}.csv", generation_rows(g, range(ROWS))) for g in GENERATIONS}
    # Generation 2 in two files: two imports, two commits, a moment in between with the first half new.
    files["gen-2 first half"] = write_csv(folder / "gen-2-a.csv", generation_rows(2, range(ROWS // 2)))
    files["gen-2 second half"] = write_csv(folder / "gen-2-b.csv", generation_rows(2, range(ROWS // 2, ROWS)))
    return files


@pytest.fixture(scope="module")
def generation_1(tmp_path_factory, csv_files) -> Path:
    path = tmp_path_factory.mktemp("gen-1") / "crm.sqlite3"
    import_csv(csv_files["gen-1"], path, RULES, on_reject=pytest.fail)
    return path


@pytest.fixture
def database(tmp_path, generation_1) -> Path:
    """A CRM database of its own with every customer in generation 1."""
    # The import closed its last connection, which checkpointed the WAL into the file: one file to copy.
    assert not generation_1.with_name(generation_1.name + "-wal").exists()
    return Path(shutil.copy(generation_1, tmp_path / "crm.sqlite3"))


@dataclasses.dataclass(frozen=True)
class Read:
    reader: str
    number: int
    sent_at: float  # time.monotonic()
    generation: int | None
    problem: str  # "" when the answer was a found, non-degraded record of a known generation


class Readers:
    """Reader threads over HTTP (one keep-alive session each) and directly on a SqliteBackend."""

    def __init__(self, url: str | None, database: Path):
        self.url = url
        self.backend = SqliteBackend(database)
        self.stop = threading.Event()
        self.reads: list[Read] = []
        self.readiness: list[int] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def _pick(self, rng: random.Random, k: int) -> int:
        # Alternate ends of the file: an import writes them seconds apart.
        return rng.randrange(EDGE) if k % 2 == 0 else ROWS - 1 - rng.randrange(EDGE)

    def _judge(self, found, degraded, source, expected_source, record, n) -> tuple[int | None, str]:
        if not found or degraded or source != expected_source:
            return None, f"customer {n}: found={found} degraded={degraded} source={source}"
        if record.get("customerId") != customer(n)["customerId"]:
            return None, f"customer {n}: answered with {record.get('customerId')}"
        generation = GENERATION_OF.get((record.get("tier"), record.get("segment")))
        if generation is None:
            return None, f"customer {n}: tier {record.get('tier')} with segment {record.get('segment')}"
        return generation, ""

    def _http(self, name: str, seed: int) -> None:
        rng, own, k = random.Random(seed), [], 0
        with requests.Session() as session:
            while not self.stop.is_set():
                n = self._pick(rng, k)
                sent = time.monotonic()
                try:
                    response = session.post(f"{self.url}/v1/customer", json={"phone": customer(n)["phone"]},
                                            headers=AUTH, timeout=5)
                    body = response.json()
                    if response.status_code != 200:
                        own.append(Read(name, n, sent, None, f"customer {n}: HTTP {response.status_code} {body}"))
                    else:
                        own.append(Read(name, n, sent, *self._judge(body.get("found"), body.get("degraded"),
                                                                  body.get("source"), "sqlite", body, n)))
                except (requests.RequestException, ValueError) as exc:
                    own.append(Read(name, n, sent, None, f"customer {n}: {type(exc).__name__}: {exc}"))
                k += 1
                time.sleep(PAUSE_S)
        with self._lock:
            self.reads.extend(own)

    def _direct(self, name: str, seed: int) -> None:
        rng, own, k = random.Random(seed), [], 0
        while not self.stop.is_set():
            n = self._pick(rng, k)
            sent = time.monotonic()
            result = self.backend.lookup({"phone": customer(n)["phone"]})
            own.append(Read(name, n, sent, *self._judge(result.found, result.degraded, result.source, "sqlite",
                                                      result.record or {}, n)))
            k += 1
            time.sleep(PAUSE_S)
        with self._lock:
            self.reads.extend(own)

    def _probe(self) -> None:
        while not self.stop.wait(0.05):
            try:
                self.readiness.append(requests.get(f"{self.url}/readyz", timeout=5).status_code)
            except requests.RequestException:
                self.readiness.append(0)

    def __enter__(self) -> Readers:
        targets = [(self._direct, (f"direct-{i}", 100 + i)) for i in range(DIRECT_READERS)]
        if self.url:
            targets += [(self._http, (f"http-{i}", i)) for i in range(HTTP_READERS)] + [(self._probe, ())]
        self._threads = [threading.Thread(target=t, args=a, daemon=True) for t, a in targets]
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(15)
        self.backend.close()

    def wait_for_reads(self, count: int, timeout: float = 10.0) -> None:
        """Until the readers are under way (their reads are collected at the end, so count the probe)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.readiness) < count:
            time.sleep(0.02)


def run_import(csv_path: Path, database: Path) -> tuple[float, float, subprocess.CompletedProcess]:
    """`companion crm import` as a user runs it; (start, end, result)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPANION_")}
    started = time.monotonic()
    result = subprocess.run([COMPANION, "crm", "import", str(csv_path), "--db", str(database)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    return started, time.monotonic(), result


def order_violations(reads: list[Read]) -> list[str]:
    """Reads that saw an older generation than an earlier read of the same reader."""
    found = []
    newest: dict[str, Read] = {}
    for read in sorted(reads, key=lambda r: (r.reader, r.sent_at)):
        if read.generation is None:
            continue
        seen = newest.get(read.reader)
        if seen is not None and read.generation < seen.generation:
            found.append(f"{read.reader}: customer {read.number} in generation {read.generation} after customer "
                         f"{seen.number} in generation {seen.generation}")
        if seen is None or read.generation > seen.generation:
            newest[read.reader] = read
    return found


def server_env(database: Path) -> dict[str, str]:
    return {"COMPANION_API_KEYS": API_KEY, "COMPANION_TRACE_SECRET": TRACE_SECRET,
            "COMPANION_SQLITE_PATH": str(database), "COMPANION_WORKERS": "2"}


def test_readers_never_fail_nor_see_part_of_an_import(csv_files, database):
    with GunicornServer(server_env(database)) as server:
        pids = wait_for_workers(server, 2)
        log_mark = len(server.log_text())
        with Readers(server.url, database) as readers:
            readers.wait_for_reads(5)
            imports = [run_import(csv_files["gen-2"], database)]
            time.sleep(0.3)  # reads after the commit
        assert worker_pids(server) == pids
        assert not restart_signs(server.log_text()[log_mark:])
    for _, _, result in imports:
        assert result.returncode == 0, result.stderr
        assert f"{ROWS:,} customers imported" in result.stdout
    reads = readers.reads
    by_generation = {g: sum(r.generation == g for r in reads) for g in GENERATIONS}
    during = [r for r in reads if any(start <= r.sent_at <= end for start, end, _ in imports)]
    figures = (f"{len(reads)} reads ({len(during)} while an import ran), by generation {by_generation}, "
               f"the import of {ROWS:,} rows took {', '.join(f'{end - start:.1f} s' for start, end, _ in imports)}")
    print("\n" + figures)
    problems = [r.problem for r in reads if r.problem]
    assert not problems, f"{len(problems)} failed lookups, e.g. {problems[:5]}\n{figures}"
    assert not order_violations(reads), f"{order_violations(reads)[:5]}\n{figures}"
    # The check had something to check: every reader read before, during and after the import.
    assert all(count > 0 for count in by_generation.values()), figures
    assert len(during) >= 100, figures
    readers_seen = {r.reader for r in during}
    assert len(readers_seen) == HTTP_READERS + DIRECT_READERS, figures
    assert readers.readiness and set(readers.readiness) == {200}, f"/readyz answers: {set(readers.readiness)}"


def test_the_check_sees_an_import_split_in_two(csv_files, database):
    # Two commits where there should be one: readers in between see the first half new, the second half old.
    with Readers(None, database) as readers:
        time.sleep(0.1)
        first = run_import(csv_files["gen-2 first half"], database)
        time.sleep(0.5)  # the moment a partial import would be visible
        second = run_import(csv_files["gen-2 second half"], database)
    assert first[2].returncode == 0 and second[2].returncode == 0, first[2].stderr + second[2].stderr
    assert order_violations(readers.reads)
