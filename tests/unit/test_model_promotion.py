"""The promotion rule of the blocking check on ml/modele: refuse a drop of validation AP beyond the
tolerance (relative by default)."""

from __future__ import annotations

import pytest

from orchestration.assets.model import PromotionConfig, promotion_decision


def test_first_model_is_always_promoted():
    assert promotion_decision(0.05, None, 0.05, "relative") == (True, None)


def test_relative_tolerance_is_the_default():
    config = PromotionConfig()
    assert (config.tolerance, config.mode, config.force) == (0.05, "relative", False)
    accepted, drop = promotion_decision(0.191, 0.200, config.tolerance, config.mode)
    assert accepted and drop == pytest.approx(0.045)
    accepted, drop = promotion_decision(0.189, 0.200, config.tolerance, config.mode)
    assert not accepted and drop == pytest.approx(0.055)
    assert promotion_decision(0.5, 0.2, config.tolerance, config.mode)[0]  # a better model


def test_absolute_mode_compares_raw_differences():
    assert promotion_decision(0.16, 0.20, 0.05, "absolute")[0]
    accepted, drop = promotion_decision(0.14, 0.20, 0.05, "absolute")
    assert not accepted and drop == pytest.approx(0.06)
    with pytest.raises(ValueError, match="relative"):
        promotion_decision(0.1, 0.2, 0.05, "percent")
