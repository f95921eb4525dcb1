"""Audit trail: hash chain verifies; edited, deleted and reordered records are caught by `deshi audit verify`."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from typer.testing import CliRunner

from deshi.cli import app
from deshi.serve import audit as audit_mod
from deshi.serve.audit import AuditLog, request_ids, verify


def _write(db, n=5):
    async def go():
        log = AuditLog(f"sqlite:///{db}")
        futs = [log.append({"kind": "request", "request_id": f"r{i}", "key_id": "k", "model": "m", "status": 200,
                            "prompt_tokens": i, "completion_tokens": 1, "cost": 0.5, "latency_ms": 1.0,
                            "cache_hit": 0, "prompt": "secret prompt"}) for i in range(n)]
        await asyncio.gather(*futs)
        log.close()
    asyncio.run(go())


def _verify_cli(db):
    return CliRunner().invoke(app, ["audit", "verify", "--db", str(db)])


def test_chain_verifies_and_prompts_are_not_stored_by_default(tmp_path):
    db = tmp_path / "audit.db"
    _write(db)
    result = _verify_cli(db)
    assert result.exit_code == 0, result.output
    assert "5 records" in result.output
    rows = sqlite3.connect(db).execute("SELECT seq, prompt FROM audit ORDER BY seq").fetchall()
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5]
    assert all(r[1] is None for r in rows)


def test_chain_continues_after_restart(tmp_path):
    db = tmp_path / "audit.db"
    _write(db, 3)
    _write(db, 2)
    result = verify(f"sqlite:///{db}")
    assert result.ok and result.records == 5


@pytest.mark.parametrize("tamper", ["edit", "delete", "reorder"])
def test_tampering_is_detected(tmp_path, tamper):
    db = tmp_path / "audit.db"
    _write(db)
    conn = sqlite3.connect(db)
    if tamper == "edit":
        conn.execute("UPDATE audit SET cost = 0.0 WHERE seq = 3")
    elif tamper == "delete":
        conn.execute("DELETE FROM audit WHERE seq = 2")
    else:  # swap records 2 and 4 entirely, renumbering them
        conn.execute("UPDATE audit SET seq = -2 WHERE seq = 2")
        conn.execute("UPDATE audit SET seq = 2 WHERE seq = 4")
        conn.execute("UPDATE audit SET seq = 4 WHERE seq = -2")
    conn.commit()
    conn.close()
    result = _verify_cli(db)
    assert result.exit_code == 1, result.output
    assert "INVALID" in result.output


def test_truncation_detected_against_kept_head(tmp_path):
    db = tmp_path / "audit.db"
    _write(db)
    head = verify(f"sqlite:///{db}").head
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM audit WHERE seq = 5")
    conn.commit()
    conn.close()
    result = CliRunner().invoke(app, ["audit", "verify", "--db", str(db), "--head", head])
    assert result.exit_code == 1


def test_lone_record_is_durable_before_append_returns_and_groups_still_chain(tmp_path):
    """A request alone in the gateway writes its record inline (no loop iteration); concurrent ones are
    grouped. Either way the record is readable by another reader once the future is done, and the
    chain verifies across both modes."""
    db = tmp_path / "audit.db"
    other = sqlite3.connect(db)

    def rec(i):
        return {"kind": "request", "request_id": f"r{i}", "status": 200, "prompt_tokens": i, "completion_tokens": 1}

    async def go():
        log = AuditLog(f"sqlite:///{db}")
        fut = log.append(rec(0), alone=True)
        assert fut.done() and fut.exception() is None
        assert request_ids(f"sqlite:///{db}") == {"r0"}  # durable already (journal, replayed by the reader)
        group = [log.append(rec(i)) for i in (1, 2, 3)]
        lone_while_group_pending = log.append(rec(4), alone=True)  # joins the pending group instead
        assert not lone_while_group_pending.done()
        await asyncio.gather(*group, lone_while_group_pending)
        await log.append(rec(5), alone=True)
        log.close()

    asyncio.run(go())
    ids = [r[0] for r in other.execute("SELECT request_id FROM audit ORDER BY seq")]
    assert ids == ["r0", "r1", "r2", "r3", "r4", "r5"]
    assert verify(f"sqlite:///{db}").ok


def test_records_in_the_journal_survive_a_dead_writer(tmp_path, monkeypatch):
    """The writer dies before its ingest thread moved the journal into the table (as after kill -9):
    readers still see every record, the chain verifies, and the next writer continues it."""
    monkeypatch.setattr(audit_mod, "INGEST_INTERVAL_S", 3600.0)  # the ingest thread never runs
    db = tmp_path / "audit.db"
    url = f"sqlite:///{db}"

    async def dies():
        log = AuditLog(url)
        await asyncio.gather(*[log.append({"kind": "request", "request_id": f"r{i}", "status": 200}) for i in range(3)])
        await log.append({"kind": "request", "request_id": "r3", "status": 200}, alone=True)
        return log  # never closed

    dead = asyncio.run(dies())
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM audit").fetchone()[0] == 0  # only in the journal
    assert (tmp_path / ("audit.db" + audit_mod.JOURNAL_SUFFIX)).stat().st_size > 0
    assert request_ids(url) == {"r0", "r1", "r2", "r3"}
    result = verify(url)
    assert result.ok and result.records == 4
    monkeypatch.setattr(audit_mod, "INGEST_INTERVAL_S", 0.05)
    _write(db, 2)  # a new writer: replays (harmlessly twice), continues the chain, empties the journal
    result = verify(url)
    assert result.ok and result.records == 6, result.problems
    assert not (tmp_path / ("audit.db" + audit_mod.JOURNAL_SUFFIX)).exists()
    dead.store._closing.set()  # let the abandoned writer's thread end


def test_live_writer_ingests_the_journal_into_the_table(tmp_path):
    db = tmp_path / "audit.db"

    async def go():
        log = AuditLog(f"sqlite:///{db}")
        await log.append({"kind": "request", "request_id": "a", "status": 200}, alone=True)
        for _ in range(200):
            await asyncio.sleep(0.01)
            if sqlite3.connect(db).execute("SELECT COUNT(*) FROM audit").fetchone()[0] == 1:
                break
        seen = sqlite3.connect(db).execute("SELECT request_id FROM audit").fetchall()
        log.close()
        return seen

    assert asyncio.run(go()) == [("a",)]


def test_failed_journal_write_leaves_no_partial_line(tmp_path, monkeypatch):
    """A write that fails half-way (disk full) is cut back, so the next record's line stays readable."""
    monkeypatch.setattr(audit_mod, "INGEST_INTERVAL_S", 3600.0)
    db = tmp_path / "audit.db"
    real_write = audit_mod.os.write
    calls = {"n": 0}

    def flaky_write(fd, data):
        calls["n"] += 1
        if calls["n"] == 2:  # the second record: half of it reaches the file, then the disk is full
            real_write(fd, bytes(data[: len(data) // 2]))
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    async def go():
        log = AuditLog(f"sqlite:///{db}")
        monkeypatch.setattr(audit_mod.os, "write", flaky_write)
        await log.append({"kind": "request", "request_id": "a", "status": 200}, alone=True)
        failed = log.append({"kind": "request", "request_id": "b", "status": 200}, alone=True)
        assert isinstance(failed.exception(), audit_mod.AuditError)
        await log.append({"kind": "request", "request_id": "c", "status": 200}, alone=True)
        monkeypatch.setattr(audit_mod.os, "write", real_write)
        return log  # never closed: readers must get everything from the journal

    dead = asyncio.run(go())
    assert request_ids(f"sqlite:///{db}") == {"a", "c"}
    result = verify(f"sqlite:///{db}")
    assert result.ok and result.records == 2, result.problems
    dead.store._closing.set()
