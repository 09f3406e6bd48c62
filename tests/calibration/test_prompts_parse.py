"""How many requests a benchmark run issues, as calibration notes state it (rows.parse_prompts)."""

from __future__ import annotations

import pytest

from optimizer.calibration.rows import parse_prompts


@pytest.mark.parametrize(("notes", "users", "expected"), [
    ("closed loop: max-concurrency=conc, num-prompts=10x conc, random dataset", 64, 640),
    ("--random-range-ratio 1.0 (exact lengths) --num-prompts 4 x conc --request-rate inf", 32, 128),
    ("--max-concurrency 410 --num-prompts 1640 --request-rate 8", 410, 1640),
    ("log shows max concurrency 272 (batch=272); 1088 prompts; mean concurrency 239.3", 272, 1088),
    ("mean TTFT of the single request", 1, None),
])
def test_parse_prompts(notes: str, users: int, expected: int | None):
    assert parse_prompts(notes, users) == expected
