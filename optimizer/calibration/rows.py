"""Published measurements as typed rows, and the model's prediction of each.

A row describes a whole measured system: `cards` cards running replicas of `max(tp, ep) x pp`
cards, `batch` concurrent requests split evenly over the replicas. What the free-text `notes` and
`framework` columns say about how the run was made is parsed once, here, into typed fields:
- mode: closed loop (a fixed number of users), burst (OFFLINE-MAX / BURST: every request queued at
  once, the running batch limited by the engine and the KV cache), decode-only (a decode instance
  of a prefill/decode split measured alone), pd (a split system: decode instance + prefill nodes),
  prefill-only (a prefill instance);
- arrivals: synchronized for fixed-length benchmarks (range ratio 1), else random;
- the engine profile the framework maps to (unmapped: the row is skipped, with the reason);
- speculative decoding (method, accept length, tokens verified per step);
- the KV cache format; whether tp/ep count dies of a multi-die package (Ascend 910C);
- launch flags that override the engine's defaults (--max-num-seqs, --max-running-requests,
  --max-num-batched-tokens, --chunked-prefill-size) and a client's --request-rate cap;
- whether the source states the split at all (tp and ep blank: a row whose model one card cannot
  hold is skipped, its real layout unknown).
Negations count: "no MTP", "no PD disaggregation", "MTP not stated" mean none.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from optimizer.catalog.efficiency import NO_SPECULATION, AllreduceCodec, Speculative, engine_for_framework
from optimizer.catalog.records import catalog_dir, load_cards
from optimizer.errors import InputError

DATASETS = ("calibration", "calibration_added", "calibration_2026", "calibration_2026_new", "calibration_found", "calibration_2026c",
            "calibration_2026d", "calibration_2026e", "calibration_2026f", "calibration_2026g")
Mode = Literal["closed", "burst", "decode-only", "pd", "prefill-only"]

# Per-step acceptance of a draft token when a source gives no accept length: DeepSeek's MTP
# accepts the second token 85-90 % of the time (DeepSeek-V3 report 5.4.3); Qwen3 EAGLE3 heads
# reach mean accept lengths of 1.8-2.2 (AngelSlim benchmark), about 0.6 per draft step.
DEFAULT_ACCEPTANCE = {"mtp": 0.8, "eagle3": 0.6, "eagle": 0.6, "ngram": 0.4}


@dataclass(frozen=True)
class CalibrationRow:
    model_id: str
    card_id: str
    precision: str
    cards: int
    tp: int
    pp: int
    ep: int
    batch: int
    input_len: int
    output_len: int
    metric: str
    value: float
    framework: str
    source: str
    notes: str
    dataset: str = "calibration"   # file stem
    index: int = 0                 # 0-based data row in its file
    mode: Mode = "closed"
    arrivals: str = "random"
    lengths: Literal["fixed", "narrow", "uniform", "conversation"] = "uniform"
    engine: str | None = None
    kv_precision: str = "bf16"
    spec: Speculative = NO_SPECULATION
    counts_dies: bool = False
    layout_stated: bool = True     # the source gives tp or ep (blank both: one card assumed)
    running_cap: int | None = None      # launch flag: running requests per attention group (None: engine default)
    prefill_budget: int | None = None   # launch flag: tokens per prefill step per attention group
    prompts: int | None = None          # requests the benchmark issues in all (None: not stated)
    allreduce_codec: AllreduceCodec | None = None  # launch env: large all-reduces quantized on the wire ("int4")
    length_share: float = 1.0           # mean drawn length over the nominal one (parse_length_share)

    @property
    def saturated(self) -> bool:
        return self.mode == "burst"

    @property
    def mean_input_len(self) -> int:
        """The prompt length the benchmark client drew on average (the row states the nominal one)."""
        return round(self.input_len * self.length_share)

    @property
    def mean_output_len(self) -> int:
        return max(1, round(self.output_len * self.length_share))


def _int(text: str, default: int) -> int:
    return round(float(text)) if text and text.strip() else default


# Closed loops whose lengths vary by less than this partly stay in waves: a prefill stalls every
# decode and near-equal answers finish together, so arrivals re-cluster (InferenceX runs at ratio
# 0.8 show TTFT growing about linearly with concurrency). How much of the wave wait survives is the
# fitted factor `wave_share` (perf.serve_closed_loop, arrivals "clustered").
NARROW_RANGE_RATIO = 0.5
_FIXED = re.compile(
    r"fixed[- ]lengths?|fixed[- ]ISL|lengths [\d/]+ fixed|\bfixed \d+/\d+|\b\d+/\d+ fixed|trtllm-bench|llama-bench", re.I
)
# A ratio stated a few words after the flag ("--random-range-ratio from the InferenceX config (0.8 ...").
_RANGE_RATIO = re.compile(r"range[-_ ]ratio(?:[ =]*|[^0-9.;]{1,40}?\()([01](?:\.\d+)?)(?!\d)", re.I)
_CONVERSATION = re.compile(r"sharegpt|lmsys-chat|conversation dataset", re.I)
# vLLM's benchmark client samples random lengths in [L (1 - r), L (1 + r)] with r = 0 by default
# (vllm/benchmarks/datasets.py RandomDataset.DEFAULT_RANGE_RATIO = 0.0): every request the nominal
# lengths unless a ratio is given. SGLang's bench_serving defaults differ (0.0 there is [1, L]).
_VLLM_RANDOM = re.compile(r"vllm bench serve\b[^.;]*\brandom\b", re.I)


def stated_range_ratio(notes: str) -> float | None:
    """The benchmark client's random range ratio as the notes state it; None when they do not."""
    ratio = _RANGE_RATIO.search(notes)
    return float(ratio.group(1)) if ratio else None


def parse_lengths(notes: str) -> Literal["fixed", "narrow", "uniform", "conversation"]:
    """fixed: every request the nominal lengths (synthetic benchmarks, range ratio 1); narrow:
    random lengths within [ratio, 1] x nominal with ratio >= 0.5; conversation: a chat dataset whose
    output lengths have a long tail; uniform: anything else (random lengths near nominal)."""
    ratio = stated_range_ratio(notes)
    if ratio is not None and ratio >= 1.0:
        return "fixed"
    if ratio is not None and ratio >= NARROW_RANGE_RATIO:
        return "narrow"
    if _FIXED.search(notes) or (ratio is None and _VLLM_RANDOM.search(notes)):
        return "fixed"
    if _CONVERSATION.search(notes):
        return "conversation"
    return "uniform"


def parse_length_share(notes: str) -> float:
    """Mean drawn length over the nominal one. A stated range ratio r < 1 draws each length uniformly
    from [r L, L] in SGLang's bench_serving (compute_random_lens) and in the clients derived from vLLM's
    early benchmark_serving.py that the InferenceX harness and ATOM ship (sample_uniform:
    randint(int(L r), L + 1)), a mean of (1 + r) / 2 x L: 0.9 at the usual 0.8. `vllm bench serve`
    draws from [L (1 - r), L (1 + r)], whose mean is L. No stated ratio: the nominal lengths. SGLang's
    client defaults to r = 0, a mean near L / 2, but the shipped rows that use it without a ratio state
    the lengths it measured, so a row without a ratio keeps the lengths it states."""
    r = stated_range_ratio(notes)
    if r is None or _VLLM_RANDOM.search(notes):
        return 1.0
    return (1.0 + r) / 2.0 if 0.0 < r < 1.0 else 1.0


_ACCEPT = re.compile(r"accept(?:ance)?(?: length| len)?\s*(?:=|:|of)?\s*(\d+(?:\.\d+)?)", re.I)
_DRAFT = re.compile(r"draft(?:[- _]tokens)?\s*[=:]?\s*(\d+)", re.I)
_STEPS = re.compile(r"steps\s*[=:]?\s*(\d+)", re.I)
# Tokens drafted per step, as launch flags and labels state them: vLLM/ATOM --num-speculative-tokens N,
# "MTP3", "3 speculative tokens" (N drafted = N + 1 verified).
_SPEC_TOKENS = re.compile(r"num[-_ ]speculative[-_ ]tokens\W{0,3}(\d+)|\bMTP(\d)\b|(\d+) speculative tokens", re.I)


def parse_speculative(framework: str, notes: str) -> Speculative:
    """Speculative decoding as the row states it; 'no speculative decoding' / 'MTP off' / 'MTP no' win."""
    text = f"{framework} {notes}"
    if re.search(r"no speculative|mtp (off|no)\b|without (mtp|speculative|eagle)|\bno (mtp|nextn|eagle-?3?)\b|non-MTP|MTP not stated",
                 text, re.I):
        return Speculative()
    if re.search(r"eagle-?3", text, re.I):
        method = "eagle3"
    elif re.search(r"\bmtp\d?\b|nextn", text, re.I):
        method = "mtp"
    elif re.search(r"\beagle\b", text, re.I):
        method = "eagle"
    else:
        return Speculative()
    draft_match, steps_match, tokens_match = _DRAFT.search(text), _STEPS.search(text), _SPEC_TOKENS.search(text)
    if draft_match:
        draft = int(draft_match.group(1))
    elif steps_match:
        draft = int(steps_match.group(1)) + 1
    elif tokens_match:
        draft = int(next(g for g in tokens_match.groups() if g)) + 1
    else:
        draft = 2
    accept_match = _ACCEPT.search(text)
    if accept_match:
        accept = float(accept_match.group(1))
    else:
        a = DEFAULT_ACCEPTANCE[method]
        accept = sum(a**i for i in range(draft))
    accept = max(1.0, min(accept, float(draft)))
    return Speculative(method=method, accept_len=accept, draft_tokens=max(draft, 2))


def parse_mode(framework: str, notes: str, metric: str) -> Mode:
    text = f"{framework} {notes}"
    if metric == "prefill_tok_s_per_card" or re.search(r"prefill instance\)", framework, re.I):
        return "prefill-only"
    if re.search(r"decode-only|decode instance measured alone", text, re.I):
        return "decode-only"
    if re.search(r"(?<!no )PD disaggregation|PD SEPARATION", text):
        return "pd"
    if "OFFLINE-MAX" in notes or "BURST" in notes:
        return "burst"
    return "closed"


def parse_kv_precision(precision: str, notes: str) -> str:
    if re.search(r"FP8 KV|kv[-_ ]cache[-_ ]dtype[ =]*fp8|FP8 MLA attention|FlashMLA-FP8", notes, re.I):
        return "fp8"
    if re.search(r"INT8 KV|KV-C8", notes, re.I):
        return "int8"
    return "bf16"


# Launch flags that override an engine's scheduling defaults. vLLM and its plugins (vLLM-Ascend,
# OmniInfer) and ATOM apply --max-num-seqs / --max-num-batched-tokens per data-parallel rank; SGLang's
# --max-running-requests is the server's total (split over its DP ranks) and --chunked-prefill-size
# its per-step token budget (-1: no chunking, --max-prefill-tokens then bounds a prefill batch).
_PER_RANK_CAP = re.compile(r"max[-_]num[-_]seqs\W{0,3}(\d+)", re.I)
_TOTAL_CAP = re.compile(r"max[-_]running[-_]requests\W{0,3}(\d+)", re.I)
_BUDGET = re.compile(r"(?:max[-_]num[-_]batched[-_]tokens|chunked[-_]prefill[-_]size)[ =:]{0,3}(-?\d+)", re.I)
_PREFILL_TOKENS = re.compile(r"max[-_]prefill[-_]tokens\W{0,3}(\d+)", re.I)


def parse_limits(text: str, attention_groups: int) -> tuple[int | None, int | None]:
    """(running requests per attention group, prefill tokens per step) the launch flags state."""
    cap: int | None = None
    if m := _PER_RANK_CAP.search(text):
        cap = int(m.group(1))
    elif m := _TOTAL_CAP.search(text):
        cap = math.ceil(int(m.group(1)) / max(1, attention_groups))
    budget: int | None = None
    if (m := _BUDGET.search(text)) and int(m.group(1)) > 0:
        budget = int(m.group(1))
    elif m := _PREFILL_TOKENS.search(text):
        budget = int(m.group(1))
    return cap, budget


# AMD QuickReduce, as aiter (ATOM, SGLang with ATOM), vLLM (VLLM_ROCM_...) or SGLang (ROCM_...) read it from the environment.
_QUICK_REDUCE = re.compile(r"(?:AITER|ROCM)_QUICK_REDUCE_QUANTIZATION\W{0,3}(INT4)\b", re.I)


def parse_allreduce_codec(text: str) -> AllreduceCodec | None:
    """"int4" when the launch environment the notes state quantizes all-reduces to INT4; None when they
    do not say (the engine's own choice for the model, engines.yaml `int4_allreduce_model_types`)."""
    return "int4" if _QUICK_REDUCE.search(text) else None


# How many requests a benchmark run issues: "--num-prompts 10x conc", "--num-prompts 1088", "1088 prompts".
_PROMPTS_PER_USER = re.compile(r"num[-_ ]prompts\W{0,3}(\d+)\s*x\s*conc", re.I)
_PROMPTS_FLAG = re.compile(r"num[-_ ]prompts\W{0,3}(\d[\d,]*)\b(?!\s*x)", re.I)
_PROMPTS_COUNT = re.compile(r"\b(\d[\d,]*) prompts\b", re.I)


def parse_prompts(notes: str, users: int) -> int | None:
    """Requests a benchmark run issues in all, as the notes state it (a multiple of the concurrency
    `users`, or a count); None when not stated."""
    if m := _PROMPTS_PER_USER.search(notes):
        return int(m.group(1)) * users
    if m := _PROMPTS_FLAG.search(notes) or _PROMPTS_COUNT.search(notes):
        return int(m.group(1).replace(",", "")) or None
    return None


def _row(r: dict[str, str], dataset: str, index: int) -> CalibrationRow:
    framework, notes, metric = r["framework"], r.get("notes", "") or "", r["metric"]
    lengths = parse_lengths(notes)
    tp, ep = _int(r["tp"], 1), _int(r["ep"], 1)
    limits = parse_limits(f"{framework} {notes}", max(1, ep // tp))
    return CalibrationRow(
        model_id=r["model_id"].strip(), card_id=r["card_id"].strip(), precision=r["precision"].strip(),
        cards=_int(r["cards"], 1), tp=tp, pp=_int(r["pp"], 1), ep=ep,
        batch=_int(r["batch"], 1), input_len=_int(r["input_len"], 0), output_len=_int(r["output_len"], 1),
        metric=metric, value=float(r["value"]), framework=framework, source=r["source"], notes=notes,
        dataset=dataset, index=index, mode=parse_mode(framework, notes, metric),
        arrivals={"fixed": "synchronized", "narrow": "clustered"}.get(lengths, "random"), lengths=lengths,
        engine=engine_for_framework(framework), kv_precision=parse_kv_precision(r["precision"], notes),
        spec=parse_speculative(framework, notes),
        counts_dies=bool(re.search(r"\bdies\b|\bdie\b", notes, re.I) and "PACKAGE" in notes.upper()),
        layout_stated=bool(r["tp"].strip() or (r.get("ep") or "").strip()),
        running_cap=limits[0], prefill_budget=limits[1], prompts=parse_prompts(notes, _int(r["batch"], 1)),
        allreduce_codec=parse_allreduce_codec(f"{framework} {notes}"), length_share=parse_length_share(notes),
    )


def load_rows(path: Path | None = None) -> list[CalibrationRow]:
    """Rows of one CSV file in the calibration format, or of every shipped dataset."""
    if path is None:
        return [row for name in DATASETS if (catalog_dir() / f"{name}.csv").exists() for row in load_rows(catalog_dir() / f"{name}.csv")]
    rows = []
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = {"model_id", "card_id", "precision", "cards", "tp", "metric", "value", "framework"} - set(reader.fieldnames or [])
            if missing:
                raise InputError(str(path), "(header)", f"lacks the columns {sorted(missing)}", "use the calibration CSV header")
            for n, r in enumerate(reader):
                try:
                    rows.append(_row(r, path.stem, n))
                except (KeyError, ValueError, TypeError) as exc:
                    raise InputError(str(path), f"data row {n} (line {n + 2})", f"cannot be read ({exc})", "fix the row") from exc
    except OSError as exc:
        raise InputError(str(path), "(file)", f"cannot be read ({exc.strerror})", "check the path") from exc
    except UnicodeDecodeError as exc:
        raise InputError(str(path), "(file)", "is not UTF-8 text", "save the CSV as UTF-8") from exc
    return rows


def metric_group(metric: str) -> str:
    """Throughput metrics pooled (per system and per card are the same quantity)."""
    return "output_tok_s" if metric.startswith("output_tok_s") else metric


def concurrency_per_replica(row: CalibrationRow) -> int:
    """The requests one replica of the row's system holds at once (the row's concurrency spread
    evenly over its replicas; dies of a multi-die package counted as the row counts them)."""
    card = load_cards().get(row.card_id)
    units_per_card = card.dies_per_package if card is not None and row.counts_dies else 1
    replica = max(row.tp, row.ep) * row.pp
    replicas = max(1, row.cards * units_per_card // replica)
    return max(1, math.ceil(row.batch / replicas))


def source_key(row: CalibrationRow) -> str:
    """The publication a row comes from (for leave-one-source-out): its URL without the fragment."""
    return row.source.split("#")[0].strip()
