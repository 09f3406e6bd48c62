"""A benchmark run is not a service in steady state: its clients open every connection at once, and
a burst's prompts queue at the front end as well as at the replica (perf.serving)."""

from __future__ import annotations

import pytest
from perf_factories import stated_efficiency

from optimizer.catalog.bundle import load_catalog
from optimizer.catalog.records import load_cards, load_models
from optimizer.perf.evaluate import evaluate_replica
from optimizer.perf.replica import Parallelism, make_replica
from optimizer.perf.serving import opening_wait, serve_burst, serve_closed_loop


def test_a_run_of_ten_prompts_per_user_pays_a_tenth_of_the_opening_wave():
    """serve_closed_loop, random arrivals, prefill 50 ms, occupancy 40 ms, step 20 ms, batch 8, 101
    output tokens. Per request 0.04 + 100 x 0.02 / 8 = 0.29 s of replica time; the other 7 users keep
    the prefill busy rho = 0.04 x 7/8 / 0.29 = 0.120690; steady wait = half a step + M/D/1
    = 0.01 + 0.120690 / (2 x 0.879310) x 0.04 = 0.012745 s. The opening wave of 8 prompts waits
    (8 - 1) / 2 x 40 ms = 0.14 s. A run of 80 prompts: 8/80 = 0.1 of the requests open the run, so
    TTFT rises by 0.1 x (0.14 - 0.012745) = 0.0127255 s; the steady rate and TPOT do not move."""
    steady = serve_closed_loop(0.05, 0.04, 0.02, 8, 101)
    run = serve_closed_loop(0.05, 0.04, 0.02, 8, 101, prompts=80)
    rho = 0.04 * 7 / 8 / 0.29
    steady_wait = 0.01 + rho / (2 * (1 - rho)) * 0.04
    assert steady_wait == pytest.approx(0.012745, abs=1e-6)
    assert run.ttft_s - steady.ttft_s == pytest.approx(0.1 * (0.14 - steady_wait), rel=1e-9)
    assert run.requests_per_s == steady.requests_per_s
    assert run.tpot_s == steady.tpot_s


def test_fixed_lengths_wait_the_wave_with_or_without_an_opening():
    """Synchronized waves already wait (8 - 1) / 2 x 40 ms = 0.14 s in steady state: the opening
    wave is one more of the same, so the run's mean TTFT is 0.05 + 0.14 s either way."""
    run = serve_closed_loop(0.05, 0.04, 0.02, 8, 101, "synchronized", prompts=16)
    assert run.ttft_s == pytest.approx(0.19, rel=1e-12)


def test_opening_share_is_capped_at_every_request():
    """A run no longer than one wave (prompts <= batch) is all opening: the wave wait itself."""
    assert opening_wait(0.01, 0.14, 8, 4) == pytest.approx(0.14)
    assert opening_wait(0.01, 0.14, 8, None) == 0.01


def test_a_burst_is_paced_by_the_slower_of_front_end_and_prefill():
    """serve_burst: 100 prompts at once, all running, prefill 50 ms, occupancy 10 ms, 11 output tokens.
    Front end 30 ms a request: the front end hands over a prompt every 30 ms, slower than the 10 ms
    the replica needs, so a prompt waits (100 - 1) / 2 x 30 ms = 1.485 s: TTFT = 0.03 + 0.05 + 1.485
    = 1.565 s. Front end 5 ms: the prefill is the slower stage, (100 - 1) / 2 x 10 ms = 0.495 s,
    TTFT = 0.005 + 0.05 + 0.495 = 0.55 s."""
    slow_front = serve_burst(0.05, 0.01, 0.02, 100, 100, 11, front_end_s=0.03, front_end_pace_s=0.03)
    fast_front = serve_burst(0.05, 0.01, 0.02, 100, 100, 11, front_end_s=0.005, front_end_pace_s=0.005)
    assert slow_front.ttft_s == pytest.approx(1.565, rel=1e-12)
    assert fast_front.ttft_s == pytest.approx(0.55, rel=1e-12)


def test_a_requests_front_end_latency_is_not_the_bursts_pace():
    """The burst above with 30 ms of front-end latency per request but a 5 ms pace through the front
    end process: the replica's prefills (10 ms each) are the slower stage, so a prompt waits
    (100 - 1) / 2 x 10 ms = 0.495 s and TTFT = 0.03 + 0.05 + 0.495 = 0.575 s. Paced at 30 ms too, the
    front end sets the pace: 0.03 + 0.05 + 1.485 = 1.565 s (the test above). Without a pace the latency
    alone is added: 0.03 + 0.05 + 0.495 = 0.575 s."""
    apart = serve_burst(0.05, 0.01, 0.02, 100, 100, 11, front_end_s=0.03, front_end_pace_s=0.005)
    unpaced = serve_burst(0.05, 0.01, 0.02, 100, 100, 11, front_end_s=0.03)
    assert apart.ttft_s == pytest.approx(0.575, rel=1e-12)
    assert unpaced.ttft_s == pytest.approx(0.575, rel=1e-12)


def test_the_front_end_pace_moves_bursts_only():
    """evaluate_replica on Llama-3.1-8B, one H100 (the stated factors: front end 100 ms a request and
    as its pace): a pace of 1 ms leaves a closed loop of 32 users exactly as it was and shortens the
    TTFT of a 256-request burst. Paced at 100 ms, a prompt waits at least (256 - 1) / 2 x 0.1 = 12.75 s
    behind the others plus its own 0.1 s; paced at 1 ms, the front end hands the burst over in 0.1275 s
    on average and the replica's prefills set the wait."""
    eff = stated_efficiency()
    quick = eff.model_copy(update={"pooled": eff.pooled.model_copy(update={"front_end_pace_ms": 1.0})})
    catalog, model, card = load_catalog(), load_models()["llama-3.1-8b"], load_cards()["h100-sxm"]

    def replica(e):  # type: ignore[no-untyped-def]
        return make_replica(catalog, model, card, "bf16", Parallelism(tp=1), efficiency=e, engine="vllm")

    slow_loop, quick_loop = (evaluate_replica(replica(e), 32, 1000, 200) for e in (eff, quick))
    assert quick_loop == slow_loop
    slow_burst, quick_burst = (evaluate_replica(replica(e), 256, 1000, 200, burst_requests=256) for e in (eff, quick))
    assert slow_burst.ttft_s >= 12.75 + 0.1
    assert quick_burst.ttft_s < 12.75
