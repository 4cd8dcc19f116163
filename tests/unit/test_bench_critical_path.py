"""The dbt benchmark's critical path: read back from run_results timings and the manifest."""

from __future__ import annotations

from tests.benchmarks.bench_dbt import critical_path


def _result(uid: str, start: int, end: int) -> dict:
    stamp = "2026-11-27T10:{:02d}:{:02d}.000000Z"
    return {
        "unique_id": uid,
        "timing": [
            {
                "name": "compile",
                "started_at": stamp.format(*divmod(start, 60)),
                "completed_at": stamp.format(*divmod(start, 60)),
            },
            {
                "name": "execute",
                "started_at": stamp.format(*divmod(start, 60)),
                "completed_at": stamp.format(*divmod(end, 60)),
            },
        ],
    }


def _node(*parents: str) -> dict:
    return {"depends_on": {"nodes": list(parents)}}


def test_the_path_follows_the_predecessor_that_finished_last_and_counts_the_waits() -> None:
    # a (0-10 s) and b (0-30 s) feed c; b's test runs 30-40 s, so c (started at 45 s) waited for
    # the test, 5 s after it ended; d, independent, finishes early.
    manifest = {
        "nodes": {
            "model.p.a": _node(),
            "model.p.b": _node(),
            "test.p.not_null_b": _node("model.p.b"),
            "model.p.c": _node("model.p.a", "model.p.b"),
            "model.p.d": _node(),
        }
    }
    run_results = {
        "results": [
            _result("model.p.a", 0, 10),
            _result("model.p.b", 0, 30),
            _result("test.p.not_null_b", 30, 40),
            _result("model.p.c", 45, 100),
            _result("model.p.d", 10, 20),
        ]
    }

    found = critical_path(run_results, manifest)

    assert [link["node"] for link in found["path"]] == ["b", "not_null_b", "c"]
    assert [link["seconds"] for link in found["path"]] == [30.0, 10.0, 55.0]
    assert [link["waited_seconds"] for link in found["path"]] == [0.0, 0.0, 5.0]
    assert found["wall_seconds"] == 100.0
    assert found["nodes_seconds_total"] == 10 + 30 + 10 + 55 + 10


def test_a_node_started_late_with_no_predecessor_shows_its_wait_from_the_build_start() -> None:
    manifest = {"nodes": {"model.p.a": _node(), "model.p.late": _node()}}
    run_results = {"results": [_result("model.p.a", 0, 50), _result("model.p.late", 50, 90)]}

    path = critical_path(run_results, manifest)["path"]

    assert path == [{"node": "late", "seconds": 40.0, "waited_seconds": 50.0}]


def test_quick_sibling_tests_do_not_send_the_walk_round_in_circles() -> None:
    # two tests of one model, each finishing within the clock slack of the other's start
    manifest = {
        "nodes": {
            "model.p.a": _node(),
            "test.p.t1": _node("model.p.a"),
            "test.p.t2": _node("model.p.a"),
        }
    }
    run_results = {
        "results": [
            _result("model.p.a", 0, 10),
            _result("test.p.t1", 10, 10),
            _result("test.p.t2", 10, 11),
        ]
    }

    path = critical_path(run_results, manifest)["path"]

    assert [link["node"] for link in path] == ["a", "t2"]


def test_no_timings_give_no_path() -> None:
    assert critical_path({"results": [{"unique_id": "model.p.a", "timing": []}]}, {"nodes": {}}) == {}
