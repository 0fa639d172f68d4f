"""qengine.batch.dask on a real distributed.LocalCluster of 2 worker processes: the same summary
and violations as validating the same 50,000 records serially, from files in blocks and from a bag;
and `qengine validate --dask ADDRESS` against that cluster."""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

distributed = pytest.importorskip("distributed")
dask_bag = pytest.importorskip("dask.bag")

import qengine  # noqa: E402
from qengine.batch import Summary, validate_stream  # noqa: E402
from qengine.batch.dask import BagResult, DaskError, validate_bag  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RECORDS_PY = ROOT.parent / "shared" / "bench" / "records.py"
SAMPLE = (ROOT / "examples" / "annex6-sample.jsonl").read_bytes().splitlines()
N = 50_000


def generated(n: int, seed: int = 1) -> bytes:
    """``n`` annex 6 records as JSON Lines: from ../shared/bench/records.py when it is there
    (``--invalid-rate 0.1``), else made here from the bundled sample, about 10% of them changed;
    a few lines that are not records either way."""
    if RECORDS_PY.exists():
        data = subprocess.run([sys.executable, str(RECORDS_PY), "--n", str(n), "--seed", str(seed),
                               "--invalid-rate", "0.1"], capture_output=True, check=True,
                              timeout=300).stdout
    else:
        data = b"\n".join(changed_sample(n, seed)) + b"\n"
    lines = data.splitlines()
    for i, bad in zip((0, 777, n // 2, n - 1), (b"{oops", b"\xff\xfe", b"[1]", b"\xef\xbb\xbf{}")):
        lines[i] = bad
    return b"\n".join(lines) + b"\n"


def changed_sample(n: int, seed: int) -> Iterator[bytes]:
    rng = random.Random(seed)
    records = [json.loads(line) for line in SAMPLE]
    for i in range(n):
        record = dict(records[i % len(records)])
        if rng.random() < 0.1:
            record[rng.choice(sorted(record))] = rng.choice([None, 9, "②", -5, [2, 2]])
        yield json.dumps(record, ensure_ascii=False).encode()


@pytest.fixture(scope="module")
def records_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dask") / "annex6-50k.jsonl"
    path.write_bytes(generated(N))
    return path


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=50)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def annex6() -> qengine.Form:
    return qengine.load("annex6")


@pytest.fixture(scope="module")
def serial(annex6: qengine.Form, records_file: Path) -> BagResult:
    """The expected result, from validate_stream in this process."""
    summary = Summary()
    violations = []
    with records_file.open("rb") as fh:
        for r in validate_stream(annex6, fh):
            summary.add(r.report)
            violations += [(str(records_file), r.line, v.to_dict()) for v in r.violations]
    return BagResult(summary.to_dict(), violations)


def test_files_in_blocks_on_a_cluster_equal_the_serial_result(annex6: qengine.Form, client: Any,
                                                             records_file: Path,
                                                             serial: BagResult) -> None:
    """The file read in 4 MiB blocks on 2 workers: the same summary and the same violations, at
    the same lines (counted across blocks), as in one process."""
    result = validate_bag(annex6, str(records_file), client=client, blocksize="4MiB")
    assert result.partitions > 2
    assert result.summary == serial.summary
    assert result.summary["records"] == N
    assert result.violations == serial.violations
    assert {"bad_json", "bad_encoding", "not_a_record"} <= set(result.summary["violations_by_rule"])


def test_a_bag_of_lines_equals_the_serial_result(annex6: qengine.Form, client: Any,
                                                 records_file: Path, serial: BagResult) -> None:
    """A dask bag of text lines (read_text with its paths) gives the same summary and the same
    violations where the file is UTF-8 (read_text decodes; the one line that is not UTF-8 is left
    out of this file)."""
    text = records_file.read_bytes().replace(b"\n\xff\xfe\n", b"\n{oops\n")
    path = records_file.with_name("utf8.jsonl")
    path.write_bytes(text)
    expected = json.loads(json.dumps(serial.summary))
    rules = expected["violations_by_rule"]
    rules["bad_json"] += 1
    rules["bad_encoding"] -= 1
    if not rules["bad_encoding"]:
        del rules["bad_encoding"]
    bag = dask_bag.read_text(str(path), blocksize="2MiB", include_path=True)
    result = validate_bag(annex6, bag, client=client)
    assert result.summary == expected
    lines = [line for _f, line, _v in result.violations]
    assert lines == sorted(lines) and lines[0] == 1


def test_a_bag_of_records_and_lines(annex6: qengine.Form, client: Any) -> None:
    """A bag of records (dicts) and text lines, without paths: each partition counts its lines."""
    records = [json.loads(line) for line in SAMPLE]
    items: list[Any] = [*records, *(line.decode() for line in SAMPLE), "{oops"]
    bag = dask_bag.from_sequence(items, npartitions=3)
    result = validate_bag(annex6, bag, client=client)
    expected = Summary()
    for r in [*records, *records]:
        expected.add(annex6.validate(r))
    expected.records += 1
    expected.with_errors += 1
    expected.by_rule["bad_json"] += 1
    assert result.summary == expected.to_dict() and result.partitions == 3
    assert {f for f, _l, _v in result.violations} <= {"partition 0", "partition 1", "partition 2"}


def test_the_command_on_the_cluster(client: Any, records_file: Path, serial: BagResult) -> None:
    """`qengine validate annex6 FILE --dask ADDRESS` prints the records with violations and the
    summary of the serial run."""
    address = client.scheduler.address
    result = subprocess.run([sys.executable, "-m", "qengine", "validate", "annex6",
                             str(records_file), "--dask", address], capture_output=True,
                            timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert out[-1]["summary"] == {"form": "annex6", "version": "2020.1", **serial.summary}
    with_violations = {(f, line) for f, line, _v in serial.violations}
    assert [(r["file"], r["line"]) for r in out[:-1]] == sorted(with_violations,
                                                                key=lambda k: k[1])
    assert b"Traceback" not in result.stderr


def test_gzip_files_and_missing_ones(annex6: qengine.Form, client: Any, tmp_path: Path) -> None:
    """A .gz file is one partition, read through gzip; a file that is not there is a clear error,
    from the API and from the command (exit 2, one line naming it)."""
    import gzip

    data = b"\n".join(SAMPLE) + b"\n"
    gz = tmp_path / "sample.jsonl.gz"
    gz.write_bytes(gzip.compress(data))
    expected = Summary()
    for r in validate_stream(annex6, io.BytesIO(data)):
        expected.add(r.report)
    result = validate_bag(annex6, [str(gz)], client=client, blocksize="1KiB")
    assert result.summary == expected.to_dict() and result.partitions == 1
    assert {f for f, _l, _v in result.violations} == {str(gz)}
    missing = str(tmp_path / "missing.jsonl")
    with pytest.raises(DaskError, match=r"missing\.jsonl"):
        validate_bag(annex6, missing, client=client)
    cli = subprocess.run([sys.executable, "-m", "qengine", "validate", "annex6", missing,
                          "--dask", client.scheduler.address], capture_output=True, timeout=300)
    assert cli.returncode == 2 and b"Traceback" not in cli.stderr
    assert len(cli.stderr.splitlines()) == 1 and b"missing.jsonl" in cli.stderr


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path: Path) -> None:
    """A scheduler that is not there: one line, exit 2."""
    f = tmp_path / "r.jsonl"
    f.write_bytes(SAMPLE[0] + b"\n")
    env = {**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "1s"}
    result = subprocess.run([sys.executable, "-m", "qengine", "validate", "annex6", str(f),
                             "--dask", "tcp://127.0.0.1:9"], capture_output=True, timeout=300,
                            env=env)
    assert result.returncode == 2 and b"Traceback" not in result.stderr
    assert b"tcp://127.0.0.1:9" in result.stderr


def test_the_generator_without_shared() -> None:
    """The records made here (for a checkout without ../shared) are annex 6 records."""
    form = qengine.load("annex6")
    made = [json.loads(line) for line in changed_sample(200, 1)]
    reports = [form.validate(r) for r in made]
    assert 0 < sum(not r.ok for r in reports) < len(reports)


def test_a_block_inside_one_long_line_holds_no_line(annex6: qengine.Form, client: Any,
                                                     tmp_path: Path) -> None:
    """With blocks smaller than a line, some blocks start and end inside it: line numbers stay
    exact (the same as reading the file whole)."""
    path = tmp_path / "blk.jsonl"
    path.write_text('{"county": 1}\n{"county": "' + "x" * 70 + '", "zz": 1}\n{"q4": 9}\n')
    whole = validate_bag(annex6, str(path), client=client)
    small = validate_bag(annex6, str(path), client=client, blocksize=16)
    assert small.summary == whole.summary
    assert [(f, line, v["rule"]) for f, line, v in small.violations] == [
        (f, line, v["rule"]) for f, line, v in whole.violations]
    assert max(line for _f, line, _v in small.violations) == 3
