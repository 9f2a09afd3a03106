"""The routine scheduler's pure part: segments per task queue, skips below a failure."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from oto.engine.dag import Dag


def test_a_diamond_on_one_queue_is_one_segment_in_runnable_order() -> None:
    dag = Dag([[], [0], [0], [1, 2]])
    assert dag.take_segments([0, 0, 0, 0]) == {0: [0, 1, 2, 3]}
    assert dag.take_segments([0, 0, 0, 0]) == {}


def test_a_step_waiting_on_another_queue_waits_for_the_next_segment() -> None:
    queue_of = [0, 1, 0, 0]
    dag = Dag([[], [0], [1], []])
    assert dag.take_segments(queue_of) == {0: [0, 3]}
    dag.settle(0, "succeeded")
    dag.settle(3, "succeeded")
    assert dag.take_segments(queue_of) == {1: [1]}
    dag.settle(1, "succeeded")
    assert dag.take_segments(queue_of) == {0: [2]}


def test_a_failure_skips_every_step_below_it_and_nothing_else() -> None:
    dag = Dag([[], [0], [1], [0], [2, 3]])
    dag.take_ready()
    dag.settle(0, "succeeded")
    assert dag.take_ready() == [1, 3]
    assert sorted(dag.settle(1, "failed")) == [2, 4]
    assert dag.status == ["succeeded", "failed", "skipped", "dispatched", "skipped"]
    assert dag.skipped_because == {2: 1, 4: 1}


def test_progress_carried_over_a_continue_as_new_is_kept() -> None:
    dag = Dag([[], [0], [1]], ["succeeded", "failed", ""])
    assert dag.status == ["succeeded", "failed", "skipped"] and dag.done


@st.composite
def routines(draw: st.DrawFn) -> tuple[list[list[int]], list[int], set[int]]:
    n = draw(st.integers(1, 30))
    after = [sorted(draw(st.sets(st.integers(0, i - 1), max_size=3))) if i else [] for i in range(n)]
    queues = [draw(st.integers(0, 2)) for _ in range(n)]
    failing = draw(st.sets(st.integers(0, n - 1), max_size=3))
    return after, queues, failing


@settings(max_examples=200, deadline=None)
@given(routines())
def test_segments_respect_the_order_and_every_step_ends(routine: tuple[list[list[int]], list[int], set[int]]) -> None:
    after, queue_of, failing = routine
    dag = Dag(after)
    ran: list[int] = []
    for _ in range(len(after) + 1):
        segments = dag.take_segments(queue_of)
        if not segments:
            break
        for queue, steps in segments.items():
            local = set(steps)
            for step in steps:  # an activity runs its segment in the order given
                assert queue_of[step] == queue
                assert all(d in local or dag.status[d] == "succeeded" for d in after[step])
                if any(dag.status[d] != "succeeded" for d in after[step]):
                    dag.settle(step, "skipped")
                    continue
                ran.append(step)
                dag.settle(step, "failed" if step in failing else "succeeded")
    assert dag.done
    for step, deps in enumerate(after):
        assert all(ran.index(d) < ran.index(step) for d in deps) if step in ran else True
        below_failure = any(dag.status[d] in ("failed", "skipped") for d in deps)
        assert (dag.status[step] == "skipped") == below_failure


def test_steps_with_a_retry_policy_run_alone_and_are_never_taken_into_a_segment() -> None:
    dag = Dag([[], [0], [1], [2]])  # a -> b -> c -> d on one queue; b retries
    assert dag.take_work([0, 0, 0, 0], frozenset({1})) == ({0: [0]}, [])
    dag.settle(0, "succeeded")
    assert dag.take_work([0, 0, 0, 0], frozenset({1})) == ({}, [1])
    dag.settle(1, "succeeded")
    assert dag.take_work([0, 0, 0, 0], frozenset({1})) == ({0: [2, 3]}, [])
