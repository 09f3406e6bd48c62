"""Efficiency factors stated at round values, for physics tests that derive step times by hand
(imported as `perf_factories` from tests under tests/perf, like plan_factories)."""

from __future__ import annotations

from optimizer.catalog.efficiency import Efficiency, FitEffects, GlobalFactors, LinkFactors, load_efficiency


def stated_efficiency(engines: dict[str, FitEffects] | None = None) -> Efficiency:
    """Pooled factors at round values, no family effects: MBU 0.8, decode MFU 0.5 (GEMMs and attention), expert-stream
    share 0.5, expert GEMMs at the full MFU, 2 ms per step, 50 us per MoE layer, front end 100 ms a request and as its pace.
    Links as stated here: HCCS / UB 15 us and 70 %, xGMI 12 us and 70 %, others 10 us and 75 %; NIC
    latency 10 us (catalog default). `engines`: engine effects to add (none by default)."""
    eff = load_efficiency()
    pooled = GlobalFactors(mbu=0.8, mfu_decode=0.5, mfu_attention=0.5, mfu_prefill=0.5, expert_bw=0.5, expert_mfu=1.0, step_overhead_ms=2.0,
                           moe_layer_us=50.0, ttft_overhead_ms=100.0, front_end_pace_ms=100.0, wave_share=0.5)
    links = {
        "pooled": LinkFactors(collective_latency_us=10, link_efficiency=0.75, note="test"),
        "huawei-ascend": LinkFactors(collective_latency_us=15, link_efficiency=0.7, note="test"),
        "amd-cdna3": LinkFactors(collective_latency_us=12, link_efficiency=0.7, note="test"),
    }
    assert eff.defaults.nic_latency_us == 10 and eff.defaults.activation_bytes == 2
    return eff.model_copy(update={"pooled": pooled, "families": {}, "engines": engines or {}, "links": links})
