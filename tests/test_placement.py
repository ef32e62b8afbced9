"""The label placer: no two placed boxes overlap, whatever the points."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.analysis.placement import Box, place, text_box


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 560), st.floats(0, 300), st.text("0123456789,% ", min_size=1, max_size=9)),
                max_size=25))
def test_placed_labels_never_overlap_and_stay_in_the_plot(points):
    boxes = [b for b in place(points, 10, 560, 300) if b is not None]
    for i, a in enumerate(boxes):
        assert a.top >= -2 and a.bottom <= 302 and a.left >= -4 and a.right <= 620
        for b in boxes[i + 1:]:
            assert not a.hits(b, pad=0)


def test_a_crowded_label_moves_then_gives_way():
    first, second, third = place([(100, 100, "99,54 %"), (100, 100, "98,75 %"), (100, 100, "100,10 %")], 10, 560, 300,
                                 taken=[Box(95, 95, 105, 105)])
    assert first is not None and second is not None and not first.hits(second, pad=0)
    assert third is None or not (third.hits(first, pad=0) or third.hits(second, pad=0))
    assert text_box(0, 0, "abc", 10, "left").left == 0
