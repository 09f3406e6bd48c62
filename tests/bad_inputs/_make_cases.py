"""Regenerate the bad-input corpus: `python tests/bad_inputs/_make_cases.py` (overwrites the cases).

Each case is a folder with `case.yaml` (the command's arguments, the expected exit code and a word
its message must contain) and its input files. In the arguments `{dir}` is the case's folder (a
copy in a temporary directory), `{out}` a folder that must not be written on error. `overlay`
lists files of the case that replace or join the shipped catalog (cards/, models/) for that run;
`interrupt` is the terminal text at which Ctrl-C is pressed; `writes` the exact file names --out
must hold afterwards; `absent` paths that must not exist afterwards (tests/cli/test_bad_inputs.py).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))
from optimizer.report.names import safe_part  # noqa: E402  (the file names whatif makes of offer ids)

CHAT = (REPO / "scenarios" / "r1_chatbot.yaml").read_text(encoding="utf-8")
PD = (REPO / "scenarios" / "r1_pd_split.yaml").read_text(encoding="utf-8")
CARD = (REPO / "catalog" / "cards" / "h100-sxm.yaml").read_text(encoding="utf-8")
FLEET_PHASED = (REPO / "scenarios" / "enterprise_fleet_phased.yaml").read_text(encoding="utf-8")
MODEL = (REPO / "catalog" / "models" / "llama-3.1-8b.yaml").read_text(encoding="utf-8")
CONFIGS = REPO / "tests" / "fixtures" / "hf_configs"
SOLVE = ["solve", "{dir}/scenario.yaml", "--out", "{out}"]
CASES: dict[str, dict] = {}


def sub(text: str, *pairs: tuple[str, str]) -> str:
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def scenario(name: str, text: str | bytes, word: str, code: int = 2, args: list[str] | None = None,
             files: dict[str, str | bytes] | None = None) -> None:
    CASES[name] = {"case": {"args": args or SOLVE, "exit": code, "word": word},
                   "files": {"scenario.yaml": text, **(files or {})}}


def chat(name: str, word: str, *pairs: tuple[str, str], append: str = "") -> None:
    scenario(name, sub(CHAT, *pairs) + append, word)


def case(name: str, args: list[str], word: str, files: dict[str, str | bytes] | None = None, code: int = 2,
         overlay: dict[str, str] | None = None, **extra: object) -> None:
    """`extra`: interrupt (press Ctrl-C when this text shows), writes (exact names in --out), absent (paths)."""
    body: dict[str, object] = {"args": args, "exit": code, "word": word}
    if overlay:
        body["overlay"] = overlay
    body.update(extra)
    CASES[name] = {"case": body, "files": files or {}}


PRICE = "price_rmb_per_server: 1500000"
SERVERS = "available_servers: 24"
USERS = "concurrent_users: 300"
TTFT, TPOT = "ttft_ms: 2000", "tpot_ms: 50"
CONSTRAINTS = "constraints:\n"

# --- scenario: ids and keys (did-you-mean) ---
chat("card_typo", "did you mean 'h200'", ("card: h200", "card: h2OO"))
chat("card_case", "did you mean 'h200'", ("card: h200", "card: H200"))
chat("model_typo", "did you mean 'deepseek-r1'", ("model: deepseek-r1", "model: deepseek_r1"))
chat("key_typo_tpot", "did you mean 'tpot_ms'", (TPOT, "tpot: 50"))
chat("key_misplaced_budget", "constraints.budget_rmb", append="budget_rmb: 5000000\n")
chat("engine_typo", "vllm", ("kv_precision: bf16", "kv_precision: bf16\nengine: vlm"))
chat("offer_engine_typo", "offers.0.engine", (SERVERS, SERVERS + "\n    engine: sglang-04"))
chat("engine_mindie_on_h200", "offer 'h200-8x' (h200, nvidia-hopper) cannot run 'mindie'", (SERVERS, SERVERS + "\n    engine: mindie"))
chat("engine_trtllm_on_ascend", "offer 'atlas-910b2-8x' (ascend-910b2, huawei-ascend) cannot run 'tensorrt-llm'",
     ("kv_precision: bf16", "kv_precision: bf16\nengine: tensorrt-llm"))
chat("engine_sglang_on_mi300x", "sglang-rocm",  # SGLang on AMD is its ROCm build: the fix names it
     ('server about RMB 2.0M"', 'server about RMB 2.0M"\n    engine: sglang'))
chat("vendor_allowed_typo", "Huawei", (CONSTRAINTS, CONSTRAINTS + "  vendors_allowed: [Huawai]\n"))
chat("offer_key_typo", "available_servers", (SERVERS, "available_server: 24"))
chat("statistic_p95", "p90", ("statistic: mean", "statistic: p95"))
chat("precision_typo", "fp8", ("precisions: [fp8, int8, bf16]", "precisions: [fp9]"))
chat("kv_precision_int4", "kv_precision", ("kv_precision: bf16", "kv_precision: int4"))
chat("objective_kind_typo", "capex", append="objective:\n  kind: capx\n")
chat("many_errors_at_once", "3 problems", ("card: h200", "card: h2OO"), (TPOT, "tpot: 50"), (USERS, "concurrent_users: -3"))
# --- scenario: encodings, syntax, duplicates ---
scenario("latin1", sub(CHAT, ("name: r1_chatbot", "name: caf\u00e9")).encode("latin-1", "replace"), "UTF-8")
scenario("utf16", CHAT.encode("utf-16"), "UTF-16")
scenario("utf16_no_bom", CHAT.encode("utf-16-le"), "UTF-16")
scenario("binary", bytes(range(256)) * 4, "binary")
scenario("gbk", sub(CHAT, ("description: DeepSeek-R1", "description: 深度求索")).encode("gbk"), "UTF-8")
scenario("yaml_syntax", "name: [unclosed\nmodel: deepseek-r1\n", "valid YAML")
scenario("yaml_tab_indent", sub(CHAT, ("  input_tokens: 2000", "\tinput_tokens: 2000")), "valid YAML")
scenario("empty_file", "", "empty")
scenario("comment_only", "# nothing here\n", "empty")
scenario("top_level_list", "- name: x\n- model: y\n", "mapping")
scenario("top_level_scalar", "just some words\n", "mapping")
scenario("key_not_plain", "? [a, b]\n: 1\n", "plain name")
chat("duplicate_price", "twice", (PRICE, PRICE + "\n    price_rmb_per_server: 15"))
chat("duplicate_top_key", "twice", append="name: again\n")
chat("duplicate_sla_key", "twice", (TPOT, TPOT + "\n  tpot_ms: 80"))
chat("bad_timestamp", "YAML", append="  - 2026-13-45\n")
# --- scenario: huge, non-finite, negative, wrong-type numbers ---
chat("price_huge", "price_rmb_per_server", (PRICE, "price_rmb_per_server: 1.0e+30"))
chat("price_inf", "finite", (PRICE, "price_rmb_per_server: .inf"))
chat("price_nan", "finite", (PRICE, "price_rmb_per_server: .nan"))
chat("price_negative", "greater than 0", (PRICE, "price_rmb_per_server: -1"))
chat("price_zero", "greater than 0", (PRICE, "price_rmb_per_server: 0"))
chat("price_string", "valid integer", (PRICE, "price_rmb_per_server: cheap"))
chat("price_fraction", "fractional", (PRICE, "price_rmb_per_server: 1500000.5"))
chat("price_per_card_huge", "price_rmb_per_card", ("price_rmb_per_card: 120000", "price_rmb_per_card: 1.0e+30"))
chat("server_base_inf", "server_base_rmb", ("server_base_rmb: 200000", "server_base_rmb: .inf"))
chat("servers_huge", "available_servers", (SERVERS, "available_servers: 1.0e+30"))
chat("servers_inf", "available_servers", (SERVERS, "available_servers: .inf"))
chat("servers_fraction", "fractional", (SERVERS, "available_servers: 2.5"))
chat("servers_zero", "available_servers", (SERVERS, "available_servers: 0"))
chat("servers_list", "available_servers", (SERVERS, "available_servers: [24]"))
chat("cards_per_server_huge", "cards_per_server", (SERVERS, SERVERS + "\n    cards_per_server: 1.0e+30"))
chat("cards_per_server_zero", "cards_per_server", (SERVERS, SERVERS + "\n    cards_per_server: 0"))
chat("users_huge", "concurrent_users", (USERS, "concurrent_users: 1.0e+30"))
chat("users_negative", "concurrent_users", (USERS, "concurrent_users: -1"))
chat("requests_inf", "requests_per_s", (USERS, "requests_per_s: .inf"))
chat("two_loads", "exactly one", (USERS, USERS + "\n    requests_per_s: 5"))
chat("no_load", "exactly one", (USERS, "{}"), ("  load:\n", "  load: "))
chat("budget_huge", "budget_rmb", (CONSTRAINTS, CONSTRAINTS + "  budget_rmb: 1.0e+30\n"))
chat("budget_inf", "budget_rmb", (CONSTRAINTS, CONSTRAINTS + "  budget_rmb: .inf\n"))
chat("max_servers_huge", "max_servers", (CONSTRAINTS, CONSTRAINTS + "  max_servers: 1.0e+30\n"))
chat("power_cap_inf", "power_cap_kw", (CONSTRAINTS, CONSTRAINTS + "  power_cap_kw: .inf\n"))
chat("ttft_huge", "ttft_ms", (TTFT, "ttft_ms: 1.0e+30"))
chat("tpot_negative", "tpot_ms", (TPOT, "tpot_ms: -5"))
chat("tpot_nan", "finite", (TPOT, "tpot_ms: .nan"))
chat("confidence_2", "confidence", (TPOT, TPOT + "\n  confidence: 2"))
chat("draws_zero", "sla.draws", (TPOT, TPOT + "\n  draws: 0"))
chat("draws_huge", "sla.draws", (TPOT, TPOT + "\n  draws: 100000"))
chat("draws_fraction", "sla.draws", (TPOT, TPOT + "\n  draws: 12.5"))
chat("draws_word", "sla.draws", (TPOT, TPOT + "\n  draws: many"))
chat("years_huge", "years", append="objective:\n  kind: tco\n  years: 1.0e+30\n  rmb_per_kwh: 0.6\n")
chat("tco_without_price", "rmb_per_kwh", append="objective:\n  kind: tco\n  years: 5\n")
chat("pue_5", "pue", append="objective:\n  pue: 5\n")
chat("duty_cycle_zero", "duty_cycle", append="objective:\n  duty_cycle: 0\n")
chat("host_overhead_huge", "host_overhead_pct", append="objective:\n  host_overhead_pct: 1000\n")
chat("server_power_negative", "server_power_w", ("    available_servers: 24", "    available_servers: 24\n    server_power_w: -10200"))
chat("accept_len_100", "accept_len", append="speculative:\n  method: mtp\n  accept_len: 100\n")
chat("owned_maybe", "owned", (SERVERS, SERVERS + "\n    owned: maybe"))
# --- scenario: structure and consistency ---
chat("precisions_empty", "precisions", ("precisions: [fp8, int8, bf16]", "precisions: []"))
chat("precisions_repeated", "more than once", ("precisions: [fp8, int8, bf16]", "precisions: [fp8, fp8]"))
chat("search_tp_3", "search.tp", append="search:\n  tp: [3]\n")
chat("search_tp_empty", "search.tp", append="search:\n  tp: []\n")
chat("search_batches_empty", "search.batches", append="search:\n  batches: []\n")
chat("search_pp_zero", "search.pp", append="search:\n  pp: [0]\n")
chat("search_tp_beyond_server", "tp_across_servers", append="search:\n  tp: [32]\n")
chat("search_batches_repeated", "more than once", append="search:\n  batches: [8, 8]\n")
chat("search_max_ep_servers_zero", "search.max_ep_servers", append="search:\n  max_ep_servers: 0\n")
chat("search_max_ep_servers_huge", "search.max_ep_servers", append="search:\n  max_ep_servers: 65\n")
chat("search_max_ep_servers_word", "search.max_ep_servers", append="search:\n  max_ep_servers: wide\n")
chat("p90_below_mean", "input_tokens_p90", ("  input_tokens: 2000", "  input_tokens: 2000\n  input_tokens_p90: 100"))
chat("context_too_short", "max_context_tokens", ("max_context_tokens: 4096", "max_context_tokens: 100"))
chat("context_beyond_model", "handles", ("  input_tokens: 2000", "  input_tokens: 200000"),
     ("max_context_tokens: 4096", "max_context_tokens: 300000"))
chat("offers_empty", "offers", ("offers:\n", "offers: []\nx_offers:\n"))
chat("offer_ids_repeated", "unique", ("id: mi300x-8x", "id: h200-8x"))
chat("two_prices", "exactly one of", (PRICE, PRICE + "\n    price_rmb_per_card: 180000"))
chat("catalog_price_missing", "use_catalog_price", ("card: h200\n    " + PRICE, "card: gb300\n    use_catalog_price: mid"))
chat("disaggregation_users", "disaggregation", append="disaggregation: true\n")
chat("budget_sweep_bad", "analysis.budget_sweep_rmb", append="analysis:\n  budget_sweep_rmb: '5:1:0'\n")
chat("tpot_sweep_empty", "tpot_sweep_ms", append="analysis:\n  tpot_sweep_ms: []\n")
chat("workload_string", "workload", ("workload:\n", "workload: lots\nx_workload:\n"))
chat("name_missing", "name", ("name: r1_chatbot\n", ""))
chat("model_file_missing", "does not exist", ("model: deepseek-r1", "model: models/mine.yaml"))
bad_model = sub(MODEL, ("num_layers: 32", "num_layers: 0"))
scenario("model_file_invalid", sub(CHAT, ("model: deepseek-r1", "model: models/mine.yaml")), "num_layers",
         files={"models/mine.yaml": bad_model})
scenario("pd_split_users", sub(PD, ("requests_per_s:", "concurrent_users: 40\n    x_requests_per_s:")), "requests_per_s")
case("scenario_is_folder", ["solve", "{dir}", "--out", "{out}"], "directory", files={"x.txt": "x"})
case("scenario_missing", ["solve", "{dir}/nope.yaml", "--out", "{out}"], "cannot be read")
case("compare_bad_scenario", ["compare", "{dir}/scenario.yaml", "--out", "{out}"], "h200",
     files={"scenario.yaml": sub(CHAT, ("card: h200", "card: h2OO"))})
case("whatif_bad_scenario", ["whatif", "{dir}/scenario.yaml", "--budget", "1:2:2", "--out", "{out}"], "tpot_ms",
     files={"scenario.yaml": sub(CHAT, (TPOT, "tpot: 50"))})

# --- model spec YAML (predict --model PATH) ---
PREDICT = ["predict", "--model", "{dir}/model.yaml", "--card", "h100-sxm"]
for name, word, pairs in [
    ("model_layers_negative", "num_layers", [("num_layers: 32", "num_layers: -32")]),
    ("model_key_typo", "hidden_size", [("hidden_size:", "hidden_sise:")]),
    ("model_hidden_huge", "hidden_size", [("hidden_size: 4096", "hidden_size: 1.0e+30")]),
    ("model_heads_vs_kv", "num_kv_heads", [("num_kv_heads: 8", "num_kv_heads: 7")]),
    ("model_kv_layers_beyond", "kv_layers", [("num_kv_heads: 8", "num_kv_heads: 8\n  kv_layers: 99")]),
    ("model_duplicate_key", "twice", [("vocab_size: 128256", "vocab_size: 128256\nvocab_size: 5")]),
    ("model_precision_typo", "checkpoint_precision", [("checkpoint_precision: bf16", "checkpoint_precision: bf17")]),
]:
    case(name, PREDICT, word, files={"model.yaml": sub(MODEL, *pairs)})
moe_model = (REPO / "catalog" / "models" / "deepseek-r1.yaml").read_text(encoding="utf-8")
case("model_dense_layers_beyond", ["predict", "--model", "{dir}/model.yaml", "--card", "h200", "--tp", "8"], "dense_layers",
     files={"model.yaml": sub(moe_model, ("dense_layers: 3", "dense_layers: 70"))})
case("model_latin1", PREDICT, "UTF-8", files={"model.yaml": sub(MODEL, ("name:", "name: Caf\u00e9 ")).encode("latin-1")})

# --- catalog card YAML (the shipped catalog with one file replaced) ---
ANY_PREDICT = ["predict", "--model", "llama-3.1-8b", "--card", "h100-sxm"]
for name, word, pairs in [
    ("card_mem_inf", "mem_gb", [("mem_gb: 80\n", "mem_gb: .inf\n")]),
    ("card_unknown_key", "hbm_stacks_gb", [("mem_gb: 80\n", "mem_gb: 80\nhbm_stacks_gb: 5\n")]),
    ("card_bw_negative", "mem_bw_gbs", [("mem_bw_gbs:", "mem_bw_gbs: -1\nx_mem_bw_gbs:")]),
    ("card_duplicate_key", "twice", [("mem_gb: 80\n", "mem_gb: 80\nmem_gb: 800\n")]),
    ("card_mem_huge", "mem_gb", [("mem_gb: 80\n", "mem_gb: 1.0e+30\n")]),
    ("card_form_typo", "form_factor", [("form_factor: sxm", "form_factor: smx")]),
]:
    case(name, ANY_PREDICT, word, files={"card.yaml": sub(CARD, *pairs)}, overlay={"cards/h100-sxm.yaml": "card.yaml"})
case("card_latin1", ANY_PREDICT, "UTF-8", files={"card.yaml": sub(CARD, ("notes: ", "notes: caf\u00e9 ")).encode("latin-1", errors="replace")},
     overlay={"cards/h100-sxm.yaml": "card.yaml"})

# --- config.json (procure model import) ---
IMPORT = ["model", "import", "{dir}/config.json", "--id", "x-model", "--date", "2025-01-01", "--out", "{out}/x.yaml"]
llama = json.loads((CONFIGS / "llama-3.1-8b.json").read_text(encoding="utf-8"))
r1 = json.loads((CONFIGS / "deepseek-r1.json").read_text(encoding="utf-8"))


def config(name: str, cfg: object, word: str, raw: str | bytes | None = None) -> None:
    case(name, IMPORT, word, files={"config.json": raw if raw is not None else json.dumps(cfg, indent=2)})


config("config_zero_heads", {**llama, "num_attention_heads": 0}, "num_attention_heads")
config("config_heads_string", {**llama, "num_attention_heads": "32"}, "num_attention_heads")
config("config_model_type_list", {**llama, "model_type": ["llama"]}, "model_type")
config("config_layers_huge", {**llama, "num_hidden_layers": 10**12}, "num_hidden_layers")
config("config_kv_heads_odd", {**llama, "num_key_value_heads": 7}, "num_key_value_heads")
config("config_missing_hidden", {k: v for k, v in llama.items() if k != "hidden_size"}, "hidden_size")
config("config_moe_missing_width", {k: v for k, v in r1.items() if k != "moe_intermediate_size"}, "moe_intermediate_size")
config("config_moe_missing_topk", {k: v for k, v in r1.items() if k != "num_experts_per_tok"}, "num_experts_per_tok")
config("config_topk_beyond_experts", {**r1, "num_experts_per_tok": 1000}, "num_experts_per_tok")
config("config_dense_beyond_layers", {**r1, "first_k_dense_replace": 99}, "first_k_dense_replace")
config("config_nan", None, "NaN", raw=json.dumps(llama).replace('"vocab_size": 128256', '"vocab_size": NaN'))
config("config_not_json", None, "valid JSON", raw="{hidden_size: 1")
config("config_list", [llama], "JSON object")
config("config_utf16", None, "UTF-16", raw=json.dumps(llama).encode("utf-16"))
config("config_latin1", None, "UTF-8", raw=json.dumps({**llama, "name": "caf\u00e9"}, ensure_ascii=False).encode("latin-1"))
config("config_quant_string", {**llama, "quantization_config": "fp8"}, "quantization_config")

# --- command-line options ---
case("import_bad_date", [*IMPORT[:6], "2025-13-45", *IMPORT[7:]], "--date", files={"config.json": json.dumps(llama)})
case("import_no_date", ["model", "import", "{dir}/config.json", "--id", "x-model"], "--date", files={"config.json": json.dumps(llama)})
case("import_bad_id", [*IMPORT[:4], "My Model", *IMPORT[5:]], "--id", files={"config.json": json.dumps(llama)})
case("import_params_inf", [*IMPORT, "--published-params-b", "inf"], "--published-params-b", files={"config.json": json.dumps(llama)})
case("import_out_is_folder", [*IMPORT[:-1], "{dir}"], "folder", files={"config.json": json.dumps(llama)})
WHATIF = ["whatif", "{repo}/scenarios/r1_chatbot.yaml", "--out", "{out}"]
case("whatif_budget_huge", [*WHATIF, "--budget", "1:1e30:5"], "--budget")
case("whatif_budget_inf", [*WHATIF, "--budget", "1:inf:5"], "--budget")
case("whatif_load_huge", [*WHATIF, "--load", "100,1e30"], "--load")
case("whatif_tpot_nan", [*WHATIF, "--tpot", "nan"], "--tpot")
case("whatif_price_unknown_offer", [*WHATIF, "--price", "h300-8x=1:2:2"], "h200-8x")
case("whatif_price_huge", [*WHATIF, "--price", "h200-8x=1:1e30:2"], "--price")
case("whatif_no_sweep", WHATIF, "no sweep")
PHASED = ["whatif", "{repo}/scenarios/r1_phased_2027.yaml", "--out", "{out}"]
case("whatif_growth_without_phases", [*WHATIF, "--growth", "0:60:4"], "phases:")
case("whatif_discount_without_phases", [*WHATIF, "--discount", "0:10:3"], "--discount")
case("whatif_growth_below_minus_100", [*PHASED, "--growth", "-100:20:3"], "out of range")
case("whatif_price_decline_100", [*PHASED, "--price-decline", "0:100:3"], "--price-decline")
case("whatif_discount_negative", [*PHASED, "--discount", "-5:5:3"], "out of range")
case("whatif_discount_not_a_range", [*PHASED, "--discount", "2%"], "FROM:TO:POINTS")
case("whatif_delivered_share_unknown", [*WHATIF, "--delivered-share", "h300-8x=0:1:3"], "h200-8x")
case("whatif_delivered_share_above_one", [*WHATIF, "--delivered-share", "h200-8x=0:1.5:3"], "0 <= value <= 1")
case("whatif_delivered_share_no_name", [*WHATIF, "--delivered-share", "0:1:3"], "OFFER_OR_VENDOR")
case("interrupt_growth_sweep", [*PHASED, "--growth", "0:100:200"], "interrupted", code=130, interrupt="growth sweep: ")
case("whatif_out_is_file", ["whatif", "{repo}/scenarios/r1_chatbot.yaml", "--out", "{dir}/f.txt", "--tpot", "50"], "not a folder",
     files={"f.txt": "x"})
case("solve_compare_bad_sweep", ["solve", "{repo}/scenarios/r1_chatbot.yaml", "--out", "{out}", "--compare", "--whatif-budget", "5:1:0"],
     "--whatif-budget")
case("solve_bad_tpot_sweep", ["solve", "{repo}/scenarios/r1_chatbot.yaml", "--out", "{out}", "--whatif-tpot", "a,b"], "--whatif-tpot")
case("solve_out_under_file", ["solve", "{repo}/scenarios/r1_chatbot.yaml", "--out", "{dir}/f.txt/sub"], "not a folder",
     files={"f.txt": "x"})
case("compare_out_is_file", ["compare", "{repo}/scenarios/r1_chatbot.yaml", "--out", "{dir}/f.txt"], "not a folder", files={"f.txt": "x"})
case("predict_tp_3", ["predict", "--model", "llama-3.1-70b", "--card", "h100-sxm", "--tp", "3"], "--tp")
case("predict_card_typo", ["predict", "--model", "llama-3.1-70b", "--card", "h1OO-sxm"], "did you mean 'h100-sxm'")
case("predict_model_typo", ["predict", "--model", "llama-3.1-7b", "--card", "h100-sxm"], "did you mean")
case("predict_batch_word", ["predict", "--model", "llama-3.1-8b", "--card", "h100-sxm", "--batch", "lots"], "--batch")
case("predict_engine_typo", ["predict", "--model", "llama-3.1-8b", "--card", "h100-sxm", "--engine", "vlm"], "vllm")
case("predict_engine_on_other_family", ["predict", "--model", "llama-3.1-8b", "--card", "h100-sxm", "--engine", "mindie"],
     "does not run on h100-sxm (nvidia-hopper)")
case("predict_model_file_missing", ["predict", "--model", "{dir}/none.yaml", "--card", "h100-sxm"], "does not exist")
case("predict_does_not_fit", ["predict", "--model", "deepseek-r1", "--card", "h200", "--precision", "bf16"], "NOT FIT", code=3)
case("schema_unknown", ["schema", "cards"], "scenario")


# --- plan rules, unknown TDP, init, lists, --format (issue 10 item 4) ---
chat("tdp_unknown_tco", "ascend-910c", ("card: ascend-910b2", "card: ascend-910c"),
     append="objective:\n  kind: tco\n  years: 5\n  rmb_per_kwh: 0.6\n")
chat("tdp_unknown_power_cap", "TDP", ("card: ascend-910b2", "card: ascend-910c"), (CONSTRAINTS, CONSTRAINTS + "  power_cap_kw: 100\n"))
chat("headroom_negative", "headroom_pct", (TPOT, TPOT + "\n  headroom_pct: -5"))
chat("headroom_huge", "headroom_pct", (TPOT, TPOT + "\n  headroom_pct: 1.0e+30"))
chat("n_plus_one_word", "n_plus_one", (CONSTRAINTS, CONSTRAINTS + "  n_plus_one: sometimes\n"))
chat("one_shape_word", "one_shape_per_offer", (CONSTRAINTS, CONSTRAINTS + "  one_shape_per_offer: maybe\n"))
chat("robust_offer_unknown", "h300-8x", (CONSTRAINTS, CONSTRAINTS + "  robust_to:\n    - {offer: h300-8x, delivered_share: 0.5}\n"))
chat("robust_vendor_unknown", "is not the vendor of any offer", (CONSTRAINTS, CONSTRAINTS + "  robust_to:\n    - {vendor: Nvidia}\n"))
chat("robust_offer_and_vendor", "exactly one of offer", (CONSTRAINTS, CONSTRAINTS + "  robust_to:\n    - {offer: h200-8x, vendor: Huawei}\n"))
chat("robust_delivered_all", "delivered_share", (CONSTRAINTS, CONSTRAINTS + "  robust_to:\n    - {offer: h200-8x, delivered_share: 1}\n"))
chat("unknown_price_with_price", "price_kind unknown", (PRICE + "\n    price_kind: quote", PRICE + "\n    price_kind: unknown"))
chat("robust_unpriced_offer", "no price yet", (PRICE + "\n    price_kind: quote", "price_kind: unknown"),
     (CONSTRAINTS, CONSTRAINTS + "  robust_to:\n    - {offer: h200-8x}\n"))
chat("every_offer_unpriced", "every offer is a bid with no price yet",
     ("    price_rmb_per_server: 1500000\n    price_kind: quote", "    price_kind: unknown"),
     ("    price_rmb_per_card: 120000\n    server_base_rmb: 200000\n    price_kind: estimate", "    price_kind: unknown"),
     ("    price_rmb_per_server: 2000000\n    price_kind: quote", "    price_kind: unknown"))
chat("daily_profile_unknown", "weekends", (USERS, USERS + "\n  daily_profile: weekends"))
chat("daily_profile_23_hours", "give 24", (USERS, USERS + "\n  daily_profile: [" + ", ".join(["1"] * 23) + "]"))
chat("daily_profile_above_peak", "outside 0..1", (USERS, USERS + "\n  daily_profile: [" + ", ".join(["1.5"] * 24) + "]"))
chat("mix_saving_over_100", "mix_min_saving_pct", (CONSTRAINTS, CONSTRAINTS + "  mix_min_saving_pct: 150\n"))
PHASES = "phases:\n  periods: [q1, q2, q3]\n"
chat("phases_load_length", "give one load per period", append=PHASES + "  load: [300, 400]\n")
chat("phases_load_and_growth", "exactly one of load", append=PHASES + "  load: [300, 400, 500]\n  growth_pct: 10\n")
chat("phases_price_length", "give one per period", append=PHASES + "  growth_pct: 10\n  prices_rmb_per_server: {h200-8x: [1500000]}\n")
chat("phases_price_unknown_offer", "h300-8x", append=PHASES + "  growth_pct: 10\n  prices_rmb_per_server: {h300-8x: [1, 2, 3]}\n")
chat("phases_available_unknown_offer", "did you mean 'mi300x-8x'", append=PHASES + "  growth_pct: 10\n  available: {mi300-8x: [1, 2, 3]}\n")
chat("phases_max_load", "most-load objective", append=PHASES + "  growth_pct: 10\nobjective:\n  kind: max_load\n")
chat("phases_lead_unservable", "nothing serves the first period", append=PHASES + "  growth_pct: 10\n  lead_time_periods: 1\n")
chat("phases_lead_whole_horizon", "lead_time_periods", append=PHASES + "  growth_pct: 10\n  lead_time_periods: 3\n")
chat("phases_periods_repeated", "more than once", append="phases:\n  periods: [q1, q1]\n  growth_pct: 10\n")
chat("phases_one_period", "give 2 to 16", append="phases:\n  periods: [q1]\n  growth_pct: 10\n")
chat("phases_robust_to", "robust_to", (CONSTRAINTS, CONSTRAINTS + "  robust_to:\n    - {offer: h200-8x, delivered_share: 0.5}\n"),
     append=PHASES + "  growth_pct: 10\n")
scenario("phases_owned_price", sub(CHAT, (PRICE + "\n    price_kind: quote", "owned: true\n    price_kind: quote")) + PHASES
         + "  growth_pct: 10\n  prices_rmb_per_server: {h200-8x: [1, 2, 3]}\n", "hardware already owned")
scenario("phases_unpriced_offer", sub(CHAT, (PRICE + "\n    price_kind: quote", "price_kind: unknown")) + PHASES
         + "  growth_pct: 10\n  available: {h200-8x: [1, 2, 3]}\n", "no price yet")
case("init_exists", ["init", "{dir}/scenario.yaml"], "already exists", files={"scenario.yaml": "mine\n"})
case("init_not_yaml", ["init", "{out}/scenario.txt"], ".yaml")
case("format_unknown", [*SOLVE, "--format", "pdf"], "--format", files={"scenario.yaml": CHAT})
case("compare_format_empty", ["compare", "{dir}/scenario.yaml", "--out", "{out}", "--format", ","], "--format",
     files={"scenario.yaml": CHAT})
case("cards_show_typo", ["cards", "show", "h2OO"], "did you mean 'h200'")
case("models_show_typo", ["models", "show", "deepseek_r1"], "did you mean")
case("engines_show_typo", ["engines", "show", "vlm"], "vllm")
case("cards_min_mem_inf", ["cards", "list", "--min-mem-gb", "inf"], "--min-mem-gb")


# === issue 17, the second round: one block per class ===
# 1. Ctrl-C: exit 130, nothing written, an interrupted solve never read as "nothing fits"
BIDS = "{repo}/scenarios/r1_bids_h200_910b_mi300x.yaml"
LOADS = ",".join(str(50 * i) for i in range(1, 201))
case("interrupt_budget_sweep", ["whatif", BIDS, "--budget", "1000000:40000000:200", "--load", LOADS, "--out", "{out}"],
     "interrupted", code=130, interrupt="budget sweep: ")
case("interrupt_load_sweep", ["whatif", BIDS, "--load", LOADS, "--out", "{out}"], "interrupted", code=130, interrupt="load sweep: ")
case("interrupt_solve_compare", ["solve", BIDS, "--compare", "--whatif-budget", "1000000:40000000:200", "--out", "{out}"],
     "interrupted", code=130, interrupt="break-even prices: ")
# 2. impossible set-ups: exit 2 naming the field
SPEC = "speculative:\n  method: {}\n  accept_len: {}\n"
chat("spec_accept_above_draft", "draft_tokens", append=SPEC.format("mtp", 3) + "  draft_tokens: 2\n")
chat("spec_none_with_accept_len", "method none", append=SPEC.format("none", 2.5))
chat("spec_none_with_draft_tokens", "draft_tokens", append="speculative:\n  method: none\n  draft_tokens: 3\n")
chat("spec_mtp_without_mtp_layers", "mtp_layers", ("model: deepseek-r1", "model: llama-3.1-70b"), append=SPEC.format("mtp", 1.8))
chat("spec_eagle_not_in_engine", "speculative.method", append=SPEC.format("eagle", 2))
chat("spec_offer_engine_lacks_mtp", "offers.0.engine", (SERVERS, SERVERS + "\n    engine: vllm-v0"), append=SPEC.format("mtp", 1.8))
chat("spec_scenario_engine_lacks_eagle3", "engine", append="engine: sglang-0.4\n" + SPEC.format("eagle3", 2))
OWNED = SERVERS + "\n    owned: true"
chat("owned_with_server_price", "offers.0.price_rmb_per_server", (SERVERS, OWNED))
chat("owned_with_card_price", "offers.1.price_rmb_per_card", ("available_servers: 64", "available_servers: 64\n    owned: true"))
chat("owned_with_catalog_price", "offers.0.use_catalog_price", (PRICE, "use_catalog_price: mid"), (SERVERS, OWNED))
chat("precisions_yaml_set", "!!set", ("precisions: [fp8, int8, bf16]", "precisions: !!set {fp8, int8, bf16}"))
chat("search_tp_yaml_set", "search.tp", append="search:\n  tp: !!set {1, 2, 4}\n")
PREDICT_8B = ["predict", "--model", "llama-3.1-8b", "--card", "h100-sxm"]
case("predict_accept_len_without_method", [*PREDICT_8B, "--spec-accept-len", "2.8"], "--spec-method")
case("predict_mtp_without_mtp_layers", [*PREDICT_8B, "--spec-method", "mtp", "--spec-accept-len", "1.8"], "mtp_layers")
case("predict_eagle_not_in_default_engine", [*PREDICT_8B, "--spec-method", "eagle", "--spec-accept-len", "2"], "eagle")
case("predict_eagle3_not_in_engine", [*PREDICT_8B, "--engine", "sglang-0.4", "--spec-method", "eagle3", "--spec-accept-len", "2"],
     "--engine")
case("predict_mtp_not_in_engine", ["predict", "--model", "deepseek-r1", "--card", "h200", "--precision", "fp8", "--tp", "8",
                                   "--engine", "llama.cpp", "--spec-method", "mtp", "--spec-accept-len", "1.8"], "llama.cpp")
case("predict_max_seqs_below_batch", [*PREDICT_8B, "--batch", "64", "--max-seqs", "32"], "--max-seqs")
config("config_kv_heads_zero", {**llama, "num_key_value_heads": 0}, "num_key_value_heads")
config("config_kv_heads_zero_mla", {**r1, "num_key_value_heads": 0}, "num_key_value_heads")
config("config_duplicate_key", None, "vocab_size",
       raw=json.dumps(llama, indent=2).replace('"vocab_size": 128256', '"vocab_size": 128256,\n  "vocab_size": 5'))
config("config_duplicate_nested_key", None, "quant_method", raw=json.dumps({**llama, "quantization_config": {"quant_method": "fp8"}}, indent=2)
       .replace('"quant_method": "fp8"', '"quant_method": "fp8", "quant_method": "int4"'))
config("config_mtp_layers_zero_string", {**r1, "num_nextn_predict_layers": "1"}, "num_nextn_predict_layers")
# 3. file names made from ids: safe, unique, inside --out; NUL bytes and empty ids refused
chat("offer_id_nul", "offers.0.id", ("id: h200-8x", 'id: "h200\\0x"'))
chat("offer_id_empty", "offers.0.id", ("id: h200-8x", 'id: ""'))
chat("offer_id_blank", "offers.0.id", ("id: h200-8x", 'id: "   "'))
chat("vendor_empty", "offers.1.vendor", ("vendor: Huawei", 'vendor: ""'))
chat("vendor_newline", "offers.1.vendor", ("vendor: Huawei", 'vendor: "Hua\\nwei"'))
chat("name_nul", "name", ("name: r1_chatbot", 'name: "r1\\0chatbot"'))
chat("model_path_nul", "model", ("model: deepseek-r1", 'model: "models/\\0.yaml"'))
case("whatif_price_empty_offer", [*WHATIF, "--price", "=1:2:2"], "h200-8x")
SLASH, LONG = "x/../../..", "m" * 300
ids_text = sub(CHAT, ("id: h200-8x", f"id: {SLASH}"), ("id: mi300x-8x", f"id: {LONG}"))
png = f"scenario_whatif_price_{safe_part(SLASH)}"
case("whatif_price_id_escaping_out", ["whatif", "{dir}/scenario.yaml", "--price", f"{SLASH}=1000000:2000000:3", "--price",
     f"{SLASH}=2000000:3000000:3", "--out", "{out}"], "price sweep", files={"scenario.yaml": ids_text}, code=0,
     writes=["scenario_whatif.md", f"{png}.png", f"{png}-2.png"], absent=["{out}/../scenario_whatif_price_x.png"])
case("whatif_price_id_300_chars", ["whatif", "{dir}/scenario.yaml", "--price", f"{LONG}=1000000:2000000:2", "--out", "{out}"],
     "price sweep", files={"scenario.yaml": ids_text}, code=0,
     writes=["scenario_whatif.md", f"scenario_whatif_price_{safe_part(LONG)}.png"])
# 4. outputs that cannot be written: checked before the work, exit 2 with the path, nothing partial
RO = "/sys/procure-out"  # cannot be created, not even by root; /sys itself exists and is not writable
case("solve_out_cannot_be_created", ["solve", "{repo}/scenarios/r1_chatbot.yaml", "--out", RO], RO)
case("solve_out_read_only", ["solve", "{repo}/scenarios/r1_chatbot.yaml", "--out", "/sys"], "cannot be written")
case("compare_out_read_only", ["compare", "{repo}/scenarios/r1_chatbot.yaml", "--out", f"{RO}/a/b"], RO)
case("whatif_out_read_only", [*WHATIF[:2], "--tpot", "50", "--out", "/sys"], "/sys")
case("solve_out_empty", ["solve", "{repo}/scenarios/r1_chatbot.yaml", "--out", ""], "--out")
case("whatif_out_empty", [*WHATIF[:2], "--tpot", "50", "--out", ""], "--out")
case("init_read_only_folder", ["init", "/sys/scenario.yaml"], "/sys")
case("init_beside_schema_folder", ["init", "{dir}/new.yaml"], "scenario.schema.json", files={"scenario.schema.json/keep.txt": "x"},
     absent=["{dir}/new.yaml"])
case("init_empty_path", ["init", ""], "PATH")
case("init_path_is_folder", ["init", "{dir}"], "folder", files={"keep.txt": "x"})
case("import_out_read_only", [*IMPORT[:-1], f"{RO}/x.yaml"], RO, files={"config.json": json.dumps(llama)})
case("import_out_empty", [*IMPORT[:-1], ""], "--out", files={"config.json": json.dumps(llama)})
case("whatif_budget_owned_only", ["whatif", "{repo}/scenarios/r1_16_cards_2_nodes.yaml", "--budget", "1:1000000:3", "--out", "{out}"],
     "budget sweep", code=0, writes=[f"r1_16_cards_2_nodes_whatif{s}" for s in (".md", "_budget.png", "_budget_pareto.png")])
# 5. non-regular files: read with a cap whatever size they report
case("scenario_dev_zero", ["solve", "/dev/zero", "--out", "{out}"], "larger than")
case("compare_dev_zero", ["compare", "/dev/zero", "--out", "{out}"], "larger than")
case("csv_dev_zero", ["validate", "--csv", "/dev/zero"], "larger than")
case("config_dev_zero", [*IMPORT[:2], "/dev/zero", *IMPORT[3:]], "larger than")
# 6. validate --csv: row problems per row (skipped, with the reason), structural problems exit 2, a BOM read
CSV_LINES = (REPO / "catalog" / "calibration.csv").read_text(encoding="utf-8").splitlines()
HEAD, ROW = CSV_LINES[0], CSV_LINES[1]
COLS = next(csv.reader([HEAD]))


def row(**cells: str) -> str:
    fields = next(csv.reader([ROW]))
    for k, v in cells.items():
        fields[COLS.index(k)] = v
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(fields)
    return buf.getvalue()


def csv_case(name: str, word: str, body: str | bytes, code: int = 2) -> None:
    case(name, ["validate", "--csv", "{dir}/runs.csv"], word, files={"runs.csv": body}, code=code)


for name, column, value in [("value_zero", "value", "0"), ("value_negative", "value", "-7007"), ("value_nan", "value", "nan"),
                            ("value_1e308", "value", "1e308"), ("value_word", "value", "fast"), ("tp_zero", "tp", "0"),
                            ("cards_zero", "cards", "0"), ("batch_negative", "batch", "-3"), ("tp_fraction", "tp", "2.5")]:
    csv_case(f"csv_{name}", f"data row 0, {column}", f"{HEAD}\n{row(**{column: value})}\n")
csv_case("csv_short_row", "the header has 15", f"{HEAD}\n{ROW.split(',', 5)[0]},h200,fp8\n")
csv_case("csv_long_row", "the header has 15", f"{HEAD}\n{ROW},extra\n")
csv_case("csv_bad_rows_skipped", "2 rows not read", f"{HEAD}\n{ROW}\n{row(value='0')}\n{row(tp='0')}\n", code=0)
csv_case("csv_header_only", "no data rows", HEAD + "\n")
csv_case("csv_empty", "empty", "")
csv_case("csv_missing_column", "model_id", HEAD.replace("model_id,", "model,") + "\n" + ROW + "\n")
csv_case("csv_repeated_column", "more than once", HEAD + ",value\n" + ROW + ",1\n")
csv_case("csv_bom_is_read", "1 rows predicted", b"\xef\xbb\xbf" + f"{HEAD}\r\n{ROW}\r\n".encode(), code=0)
csv_case("csv_latin1", "UTF-8", f"{HEAD}\n{ROW}, caf\u00e9\n".encode("latin-1", "replace"))
# 7. size: the number of offers is bounded, the limit named
many = "".join(f"  - {{id: o{i}, vendor: v{i % 7}, card: h200, price_rmb_per_server: {1_000_000 + i}, available_servers: 4}}\n"
               for i in range(501))
scenario("offers_over_the_limit", CHAT[:CHAT.index("offers:\n")] + "offers:\n" + many + CHAT[CHAT.index(CONSTRAINTS):], "MAX_OFFERS")
case("compare_offers_over_the_limit", ["compare", "{repo}/tests/bad_inputs/offers_over_the_limit/scenario.yaml", "--out", "{out}"],
     "at most 500")
# 8. messages that name the field and line
config("config_nan_hidden_size", None, "hidden_size", raw=json.dumps(llama, indent=2).replace('"hidden_size": 4096', '"hidden_size": NaN'))
config("config_5000_digits", None, "hidden_size", raw=json.dumps(llama, indent=2).replace('"hidden_size": 4096', '"hidden_size": ' + "9" * 5000))
config("config_infinite", None, "rope_theta", raw=json.dumps(llama, indent=2).replace('"rope_theta": 500000.0', '"rope_theta": 1e999'))
chat("scenario_5000_digits", "sla.tpot_ms", (TPOT, "tpot_ms: " + "9" * 5000))
LAST = CHAT.count("\n") + 1  # the line of a key appended at the end
chat("top_level_null_key", f":{LAST}: null", append="null: 5\n")
chat("top_level_bool_key", f":{LAST}: true", append="true: x\n")
chat("top_level_no_key", f":{LAST}: no", append="no: x\n")
chat("nested_number_key", "sla.8", (TPOT, TPOT + "\n  8: x"))

# A fleet's phases: loads per service (phases_load), never one shared list
FLEET_GROWTH = "  growth_pct: 40\n"
FLEET_R1 = "  - name: r1-chat\n"
scenario("fleet_phases_shared_load", sub(FLEET_PHASED, (FLEET_GROWTH, "  load: [300, 420, 588, 823]\n")), "phases.load: is one list of loads")
scenario("fleet_phases_load_length", sub(FLEET_PHASED, (FLEET_R1, FLEET_R1 + "    phases_load: [300, 420]\n")),
         "services.0.phases_load: gives 2 value(s) for 4 periods")
scenario("fleet_phases_load_not_numbers", sub(FLEET_PHASED, (FLEET_R1, FLEET_R1 + "    phases_load: [300, many, 588, 823]\n")),
         "is not a list of loads")
scenario("fleet_phases_load_without_phases", sub(FLEET_PHASED, (FLEET_R1, FLEET_R1 + "    phases_load: [300, 420, 588, 823]\n"),
                                                 ("phases:\n", "later:\n")), "the file has no phases:")

# Several services on one purchase: the fleet's own rules
scenario("fleet_model_at_the_top", sub(FLEET_PHASED, ("services:\n", "model: deepseek-r1\nservices:\n")),
         "model: is a service's key, but the file lists services:")
scenario("fleet_duplicate_service", sub(FLEET_PHASED, ("  - name: qwen72b-rag\n", "  - name: r1-chat\n")),
         "'r1-chat' is also the name of service 0")
scenario("fleet_service_key_typo", sub(FLEET_PHASED, (FLEET_R1, FLEET_R1 + "    modle: deepseek-r1\n")), "services.0.modle")
case("fleet_compare", [*SOLVE, "--compare"], "not available for several services yet", files={"scenario.yaml": FLEET_PHASED})
case("fleet_solve_whatif_budget", [*SOLVE, "--whatif-budget", "1000000:20000000:3"], "budget and TPOT sweeps are of one service's plan",
     files={"scenario.yaml": FLEET_PHASED})

# What-if on a fleet: the axes of one service's plan are refused in one paragraph (never the single-service validation)
WHATIF_FLEET = ["whatif", "{dir}/scenario.yaml", "--out", "{out}"]
FLEET_PHASES = "phases:\n  periods: [2026Q3, 2026Q4, 2027Q1, 2027Q2]\n  growth_pct: 40\n  price_decline_pct: 5\n"
for option, value in (("--budget", "1000000:20000000:3"), ("--tpot", "30,50"), ("--ttft", "500,1000"), ("--load", "100,200"),
                      ("--price", "h200-8x=1000000:2000000:3")):
    case(f"fleet_whatif_{option.removeprefix('--')}", [*WHATIF_FLEET, option, value], f"{option}: (scenario with services:): ",
         files={"scenario.yaml": FLEET_PHASED})
case("fleet_whatif_growth_without_phases", [*WHATIF_FLEET, "--growth", "0:40:3"], "this fleet buys all at once",
     files={"scenario.yaml": sub(FLEET_PHASED, (FLEET_PHASES, ""))})
case("fleet_whatif_growth_all_own_loads", [*WHATIF_FLEET, "--growth", "0:40:3"], "every service here gives its own",
     files={"scenario.yaml": sub(FLEET_PHASED, *((f"  - name: {n}\n", f"  - name: {n}\n    phases_load: [1, 2, 3, 4]\n")
                                                 for n in ("r1-chat", "qwen72b-rag", "qwen3-8b-classify")))})
case("fleet_whatif_delivered_unknown", [*WHATIF_FLEET, "--delivered-share", "nobody=0:1:3"], "is neither an offer being bought",
     files={"scenario.yaml": FLEET_PHASED})
case("fleet_whatif_nothing", WHATIF_FLEET, "no sweep asked for", files={"scenario.yaml": FLEET_PHASED})


def main() -> None:
    for old in HERE.iterdir():
        if old.is_dir():
            shutil.rmtree(old)
    for name, body in CASES.items():
        folder = HERE / name
        folder.mkdir()
        (folder / "case.yaml").write_text(yaml.safe_dump(body["case"], sort_keys=False), encoding="utf-8")
        for rel, content in body["files"].items():
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
    print(f"{len(CASES)} cases")


if __name__ == "__main__":
    main()
