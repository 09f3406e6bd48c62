"""catalog/load_profiles.yaml: every named daily profile is a day of 24 hourly fractions whose busiest
hour is the peak (1), with a source and a Chinese description; office_hours' mean by hand."""

from __future__ import annotations

import pytest

from optimizer.catalog.bundle import load_catalog


def test_every_profile_is_a_day_peaking_at_one_with_its_source_and_chinese():
    profiles = load_catalog().load_profiles
    assert {"flat", "office_hours"} <= set(profiles)
    for name, p in profiles.items():
        assert len(p.hourly_fraction_of_peak) == 24 and max(p.hourly_fraction_of_peak) == 1, name
        assert p.source and p.description_zh, name


def test_office_hours_mean_by_hand():
    """1 from 09:00 to 18:00 (9 hours), 0.1 at the other 15: (9 + 1.5) / 24 = 0.4375."""
    hours = load_catalog().load_profiles["office_hours"].hourly_fraction_of_peak
    assert sum(hours) / 24 == pytest.approx(0.4375)
    assert hours[9:18] == [1.0] * 9 and hours[8] == hours[18] == 0.1
