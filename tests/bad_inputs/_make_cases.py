"""Regenerate the bad-input corpus: `python tests/bad_inputs/_make_cases.py` (overwrites the cases).

Each case is a folder with `case.yaml` (the command's arguments, the expected exit code and a word
its message must contain) and its input files. In the arguments `{dir}` is the case's folder (a
copy in a temporary directory), `{out}` a folder that must not be written on error. `overlay`
lists files of the case that replace or join the shipped catalog (cards/, models/) for that run.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CHAT = (REPO / "scenarios" / "r1_chatbot.yaml").read_text(encoding="utf-8")
PD = (REPO / "scenarios" / "r1_pd_split.yaml").read_text(encoding="utf-8")
CARD = (REPO / "catalog" / "cards" / "h100-sxm.yaml").read_text(encoding="utf-8")
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
         overlay: dict[str, str] | None = None) -> None:
    body = {"args": args, "exit": code, "word": word}
    if overlay:
        body["overlay"] = overlay
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
chat("years_huge", "years", append="objective:\n  kind: tco\n  years: 1.0e+30\n  rmb_per_kwh: 0.6\n")
chat("tco_without_price", "rmb_per_kwh", append="objective:\n  kind: tco\n  years: 5\n")
chat("pue_5", "pue", append="objective:\n  pue: 5\n")
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
chat("p90_below_mean", "input_tokens_p90", ("  input_tokens: 2000", "  input_tokens: 2000\n  input_tokens_p90: 100"))
chat("context_too_short", "max_context_tokens", ("max_context_tokens: 4096", "max_context_tokens: 100"))
chat("context_beyond_model", "handles", ("  input_tokens: 2000", "  input_tokens: 200000"),
     ("max_context_tokens: 4096", "max_context_tokens: 300000"))
chat("offers_empty", "offers", ("offers:\n", "offers: []\nx_offers:\n"))
chat("offer_ids_repeated", "unique", ("id: mi300x-8x", "id: h200-8x"))
chat("two_prices", "exactly one of", (PRICE, PRICE + "\n    price_rmb_per_card: 180000"))
chat("catalog_price_missing", "use_catalog_price", ("card: h200\n    " + PRICE, "card: b300\n    use_catalog_price: mid"))
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
case("card_latin1", ANY_PREDICT, "UTF-8", files={"card.yaml": sub(CARD, ("notes: ", "notes: caf\u00e9 ")).encode("latin-1")},
     overlay={"cards/h100-sxm.yaml": "card.yaml"})

# --- config.json (procure model import) ---
IMPORT = ["model", "import", "{dir}/config.json", "--id", "x-model", "--date", "2025-01-01", "--out", "{out}/x.yaml"]
llama = json.loads((CONFIGS / "llama-3.1-8b.json").read_text(encoding="utf-8"))
r1 = json.loads((CONFIGS / "deepseek-r1.json").read_text(encoding="utf-8"))


def config(name: str, cfg: object, word: str, raw: str | bytes | None = None) -> None:
    case(name, IMPORT, word, files={"config.json": raw if raw is not None else json.dumps(cfg, indent=2)})


config("config_zero_heads", {**llama, "num_attention_heads": 0}, "num_attention_heads")
config("config_heads_string", {**llama, "num_attention_heads": "32"}, "num_attention_heads")
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
chat("mix_saving_over_100", "mix_min_saving_pct", (CONSTRAINTS, CONSTRAINTS + "  mix_min_saving_pct: 150\n"))
case("init_exists", ["init", "{dir}/scenario.yaml"], "already exists", files={"scenario.yaml": "mine\n"})
case("init_not_yaml", ["init", "{out}/scenario.txt"], ".yaml")
case("format_unknown", [*SOLVE, "--format", "pdf"], "--format", files={"scenario.yaml": CHAT})
case("compare_format_empty", ["compare", "{dir}/scenario.yaml", "--out", "{out}", "--format", ","], "--format",
     files={"scenario.yaml": CHAT})
case("cards_show_typo", ["cards", "show", "h2OO"], "did you mean 'h200'")
case("models_show_typo", ["models", "show", "deepseek_r1"], "did you mean")
case("engines_show_typo", ["engines", "show", "vlm"], "vllm")
case("cards_min_mem_inf", ["cards", "list", "--min-mem-gb", "inf"], "--min-mem-gb")


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
