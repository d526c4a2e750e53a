"""Property test of the outbox state machine: random operation sequences on a real file.

Invariants after every sequence: the counts reported (trigger-kept counters of
admitted entries plus the arrivals, admitted three at a time here) and the
capacity check's count of undelivered entries equal the rows, each device's
claims follow HLC order, idempotent enqueues never add rows, and a purged key
stays idempotent.
"""

import contextlib
import json
import sqlite3
from unittest import mock

from fiscal_connector.demo import sample_receipt
from fiscal_connector.errors import IdempotencyConflictError, OutboxError
from fiscal_connector.locks import owner_id
from fiscal_connector.outbox import Outbox
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fiscal_connector import outbox as outbox_module

DEVICES = ("d1", "d2")
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("enqueue"), st.integers(0, 11), st.sampled_from(DEVICES)),
        st.tuples(st.just("claim"), st.sampled_from(DEVICES),
                  st.sampled_from(["done", "dead", "unknown", "retry_wait", "crash"])),
        st.tuples(st.just("retry"), st.integers(0, 11)),
        st.tuples(st.just("purge")),
    ),
    max_size=40,
)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(OPERATIONS)
def test_random_sequences_keep_the_invariants(tmp_path_factory, operations):
    path = tmp_path_factory.mktemp("props") / "outbox.sqlite"
    outbox = Outbox(str(path))
    token = owner_id()
    claimed = {device: [] for device in DEVICES}
    try:
        with mock.patch.object(outbox_module, "ADMIT_BATCH", 3):
            for operation in operations:
                _apply(outbox, token, claimed, operation)
        conn = sqlite3.connect(path)
        counted = {(device, state): n for device, state, n in conn.execute(
            "SELECT device, state, count(*) FROM entry GROUP BY device, state")}
        # The counters of admitted entries plus the arrivals not yet admitted.
        reported = {(device, state): n for device, info in outbox.status().items()
                    for state, n in info["states"].items()}
        assert reported == counted
        # The capacity check's count: entries not done, arrivals included.
        undelivered = sum(n for (_, state), n in counted.items() if state != "done")
        assert outbox.undelivered() == undelivered
        for device, keys in claimed.items():
            stamps = [hlc for key, hlc in keys]
            # A device is claimed in HLC order (a retried dead letter may go again).
            firsts = [stamp for index, stamp in enumerate(stamps) if stamp not in stamps[:index]]
            assert firsts == sorted(firsts), device
        conn.close()
    finally:
        outbox.close()


def _apply(outbox, token, claimed, operation):
    kind = operation[0]
    if kind == "enqueue":
        _, number, device = operation
        before = outbox.entry(f"k{number}")
        try:
            created = outbox.enqueue(f"k{number}", device, "sell", sample_receipt(number))
            assert created or before is None or before["device"] == device
            assert not created or before is None
        except IdempotencyConflictError:  # same key, other device (queued or purged)
            assert before is None or before["device"] != device
    elif kind == "claim":
        _, device, outcome = operation
        status, row = outbox.claim_head(device, token, 0.0)
        if status != "claimed":
            return
        claimed[device].append((row["key"], row["hlc"]))
        if outcome == "crash":  # the drainer vanished: its claim is forgotten
            outbox._conn().execute(
                "UPDATE entry SET claim = 'nowhere|1|gone|x' WHERE id = ?", (row["id"],))
            return
        assert outbox.finish(row["id"], token, outcome, result={"fd_number": 1},
                             next_attempt_at=0, last_error="x")
    elif kind == "retry":
        with contextlib.suppress(OutboxError):  # not a dead letter: refused, nothing changed
            outbox.retry_dead(f"k{operation[1]}")
    else:
        outbox.purge(retention_days=-1)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_canonical_json_is_the_text_hashed_before(document):
    """Bodies queued by earlier versions were hashed over json.dumps' text; the same
    document must give the same text now, or queuing it again would be a conflict.
    (Receipts carry money and quantities as strings, so floats are not in play.)"""
    before = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert outbox_module.canonical_json(document) == before
