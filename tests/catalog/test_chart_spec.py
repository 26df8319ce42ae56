"""The chart-spec check on random input: it returns a spec or raises ValidationError, nothing else,
and whatever it returns reads only the resource's table."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sapan.catalog import chart_spec
from sapan.errors import ValidationError

TABLES = {"r1": ["ภาค", "หนี้สิน"]}
KEYS = st.sampled_from(
    ["$schema", "data", "mark", "encoding", "x", "y", "color", "tooltip", "field", "type", "aggregate",
     "url", "format", "values", "width", "height", "config", "font", "transform"]
)  # fmt: skip
LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=20)
    | st.sampled_from(
        ["bar", "ภาค", "nominal", "sum", "container", "/api/3/action/datastore_search?resource_id=r1"]
    )
)
VALUES = st.recursive(
    LEAVES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4)
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=st.dictionaries(KEYS, VALUES, max_size=8))
def test_random_specs_are_refused_cleanly_or_read_only_this_table(spec: dict[str, Any]) -> None:
    try:
        checked = chart_spec.checked_spec(spec, TABLES)
    except ValidationError as exc:
        assert all(field.startswith("spec") for field in exc.errors)
        return
    assert checked["data"] == chart_spec.data_reference("r1")
