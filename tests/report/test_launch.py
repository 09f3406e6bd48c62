"""Launch files from a solve JSON (report/launch.py): each replica design's engine command carries the
plan's split, caps and multi-node options, and every option written is one the engine documents."""

from __future__ import annotations

import copy
import json
import shlex

import pytest
from conftest import REPO_ROOT

from optimizer.catalog.launch_templates import load_launch_templates, template_for
from optimizer.report.launch import export_files


def _row(**over):  # type: ignore[no-untyped-def]
    """One replica row as `procure solve` writes it: DeepSeek-R1 fp8, TP1 x EP24 over three 8-card servers."""
    row = {
        "offer": "h200-8x", "role": "colocated", "card": "h200", "precision": "fp8", "tp": 1, "pp": 1, "ep": 24, "dp": 1,
        "batch": 316, "cards_per_replica": 24, "predicted": {"ttft_ms": 1160.4, "tpot_ms": 49.95},
        "at_central_estimate": {"ttft_ms": 679.7, "tpot_ms": 35.43},
        "serving": {"engine": "sglang", "kv_precision": "bf16", "checkpoint_precision": "fp8", "max_running_requests": 316,
                    "chunked_prefill_tokens": 8192, "context_tokens": 4096, "attention_dp": 24, "servers_spanned": 3,
                    "cards_per_server": 8, "speculative": None},
    }
    for key, value in over.items():
        if key in row["serving"] and key not in row:
            row["serving"][key] = value
        else:
            row[key] = value
    return row


def _doc(*rows):  # type: ignore[no-untyped-def]
    return {"scenario": "test", "model": "deepseek-r1", "confidence": 0.8, "provenance": "Provenance: test",
            "plans": [{"servers": {"h200-8x": 3}, "cost_rmb": 4_500_000, "replicas": list(rows)}]}


def _args(text: str) -> list[str]:
    """The words of the exec line of a script (comments and the guard lines dropped)."""
    body = text.split("\nexec ", 1)[1].replace("\\\n", " ")
    return shlex.split(body, posix=True)


def _option(words: list[str], name: str) -> str | None:
    return words[words.index(name) + 1] if name in words else None


def _script(doc, name_part: str = ".sh") -> str:  # type: ignore[no-untyped-def]
    files = export_files(doc, load_launch_templates())
    return next(f.text for f in files if f.name.endswith(name_part) and f.name != "router.sh")


def test_sglang_ep24_over_three_servers_by_hand():
    """SGLang counts every card of a stage in --tp-size: TP1 x EP24 is --tp-size 24 with 24 / 1 = 24
    attention groups (--dp-size 24, DP attention) and --ep-size 24; 24 cards on 8-card servers are
    3 nodes; the running cap is the planned batch, 316."""
    words = _args(_script(_doc(_row())))
    assert words[:3] == ["python", "-m", "sglang.launch_server"]
    assert (_option(words, "--tp-size"), _option(words, "--dp-size"), _option(words, "--ep-size")) == ("24", "24", "24")
    assert "--enable-dp-attention" in words
    assert _option(words, "--nnodes") == "3"
    assert _option(words, "--max-running-requests") == "316"
    assert _option(words, "--chunked-prefill-size") == "8192"
    assert "--kv-cache-dtype" not in words and "--quantization" not in words   # bf16 KV, the checkpoint's own fp8


def test_single_server_replica_has_no_node_options_and_tp8_has_no_dp_attention():
    words = _args(_script(_doc(_row(tp=8, ep=8, attention_dp=1, servers_spanned=1, cards_per_replica=8))))
    assert _option(words, "--tp-size") == "8" and "--dp-size" not in words and "--nnodes" not in words
    assert "HEAD_ADDR" not in _script(_doc(_row(tp=8, ep=8, attention_dp=1, servers_spanned=1)))


def test_fp8_kv_and_int8_weights_are_spelt_the_engine_way():
    text = _script(_doc(_row(kv_precision="fp8", precision="int8")))
    words = _args(text)
    assert _option(words, "--kv-cache-dtype") == "fp8_e4m3"
    assert _option(words, "--quantization") == load_launch_templates()["sglang"].values["quantization"]["int8"]
    assert "quantised to int8" in text


def test_prefill_role_has_no_running_cap_and_both_roles_name_their_mode():
    prefill = _row(role="prefill", tp=8, ep=1, attention_dp=1, servers_spanned=1, batch=1, max_running_requests=1)
    decode = _row(role="decode")
    files = {f.name: f.text for f in export_files(_doc(prefill, decode), load_launch_templates())}
    pre, dec = _args(files["01_h200-8x_prefill.sh"]), _args(files["02_h200-8x_decode.sh"])
    assert "--max-running-requests" not in pre and _option(dec, "--max-running-requests") == "316"
    assert (_option(pre, "--disaggregation-mode"), _option(dec, "--disaggregation-mode")) == ("prefill", "decode")
    router = _args(files["router.sh"])
    assert router.count("--prefill") == 1 and router.count("--decode") == 1
    assert '"http://$PREFILL_1:30000"' in files["router.sh"]   # double quotes: the shell expands the address


def test_vllm_expert_parallel_only_when_it_spans_tp_x_dp():
    """vLLM shards experts over all TP x DP ranks: TP8 EP8 is --enable-expert-parallel; TP8 EP2 has
    no vLLM spelling and is written as a note instead."""
    full = _args(_script(_doc(_row(engine="vllm", tp=8, ep=8, attention_dp=1, servers_spanned=1))))
    assert _option(full, "--tensor-parallel-size") == "8" and "--enable-expert-parallel" in full
    partial_text = _script(_doc(_row(engine="vllm", tp=8, ep=2, attention_dp=1, servers_spanned=1)))
    assert "--enable-expert-parallel" not in _args(partial_text)
    assert "EP2 inside TP has no vLLM option" in partial_text


def test_vllm_data_parallel_over_two_servers_splits_ranks_per_server():
    """DP16 (TP1 x EP16) on two 8-card servers: 16 / 2 = 8 ranks per server, server k starting at rank 8k."""
    words = _args(_script(_doc(_row(engine="vllm", ep=16, attention_dp=16, servers_spanned=2, cards_per_replica=16))))
    assert _option(words, "--data-parallel-size") == "16"
    assert _option(words, "--data-parallel-size-local") == "8"
    assert _option(words, "--data-parallel-start-rank") == "$((NODE_RANK * 8))"


def test_an_engine_without_a_template_gets_its_settings_not_a_guess():
    files = export_files(_doc(_row(engine="llama.cpp")), load_launch_templates())
    names = [f.name for f in files]
    assert names == ["01_h200-8x_serve.settings.json", "README.md"]
    assert json.loads(files[0].text)["max_running_requests"] == 316


def test_export_is_deterministic():
    doc = _doc(_row(), _row(role="decode"))
    assert export_files(doc, load_launch_templates()) == export_files(copy.deepcopy(doc), load_launch_templates())


def _shipped_reports() -> list[str]:
    names = []
    for path in sorted((REPO_ROOT / "reports").glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and doc.get("plans") and "bids" in doc and "uncertainty" in doc:
            names.append(path.name)
    return names


@pytest.mark.parametrize("report", _shipped_reports())
def test_every_exported_option_is_documented_by_its_engine(report):
    """The issue's check: each command of each shipped plan, word by word, against the option names
    the engine's own argument parser defines (catalog/launch.yaml documented_options)."""
    doc = json.loads((REPO_ROOT / "reports" / report).read_text(encoding="utf-8"))
    files = export_files(doc, load_launch_templates())
    scripts = [f for f in files if f.name.endswith(".sh")]
    assert scripts, f"{report}: no launch script"
    for f in scripts:
        if f.name == "router.sh":
            engine = doc["plans"][0]["replicas"][0]["serving"]["engine"]
            t = template_for(engine)
            assert t is not None and t.router is not None
            documented, command = set(t.router.documented_options), t.router.command
        else:
            row = doc["plans"][0]["replicas"][int(f.name[:2]) - 1]
            t = template_for(row["serving"]["engine"])
            assert t is not None
            documented, command = set(t.documented_options), t.command
        words = _args(f.text)
        assert words[: len(shlex.split(command))] == shlex.split(command)
        options = [w for w in words[len(shlex.split(command)):] if w.startswith("-")]
        assert options, f.name
        undocumented = [o for o in options if o not in documented]
        assert not undocumented, f"{report} {f.name}: {undocumented}"


def test_tensorrt_llm_takes_the_split_on_the_command_line_and_the_rest_in_its_yaml():
    """TP1 x EP8 on one server: --tp_size 8 --ep_size 8 (underscores, as trtllm-serve spells them);
    eight attention groups and an fp8 KV cache go to the --extra_llm_api_options YAML."""
    import yaml

    row = _row(engine="tensorrt-llm", ep=8, attention_dp=8, servers_spanned=1, cards_per_replica=8, kv_precision="fp8")
    files = {f.name: f.text for f in export_files(_doc(row), load_launch_templates())}
    words = _args(files["01_h200-8x_serve.sh"])
    assert (_option(words, "--tp_size"), _option(words, "--ep_size"), _option(words, "--max_batch_size")) == ("8", "8", "316")
    assert "--kv-cache-dtype" not in words and "--kv_cache_dtype" not in words
    extra = yaml.safe_load(files["01_h200-8x_serve.extra.yaml"])
    assert extra == {"enable_attention_dp": True, "kv_cache_config": {"dtype": "fp8"}}
    assert _option(words, "--extra_llm_api_options").endswith("01_h200-8x_serve.extra.yaml")


def test_atom_follows_vllm_names_with_its_own_spellings():
    row = _row(engine="atom", tp=8, ep=8, attention_dp=1, servers_spanned=1, cards_per_replica=8, kv_precision="fp8",
               card="mi300x", offer="mi300x-8x")
    words = _args(_script(_doc(row)))
    assert _option(words, "--tensor-parallel-size") == "8" and "--enable-expert-parallel" in words
    assert _option(words, "--kv_cache_dtype") == "fp8"
    assert _option(words, "--server-port") == "$PORT" and "--port" not in words


def test_mindie_gets_its_config_keys_not_a_command_line():
    row = _row(engine="mindie", precision="int8", tp=8, ep=8, attention_dp=1, servers_spanned=1, cards_per_replica=8,
               offer="atlas-910b2-8x", card="ascend-910b2", batch=64, max_running_requests=64)
    files = export_files(_doc(row), load_launch_templates())
    config = json.loads(next(f.text for f in files if f.name.endswith(".config.json")))
    assert config["BackendConfig.ScheduleConfig.maxBatchSize"] == 64
    assert config["BackendConfig.ModelDeployConfig.ModelConfig[0].worldSize"] == 8
    assert config["BackendConfig.multiNodesInferEnabled"] is False


def test_sglangs_rocm_build_launches_as_sglang_and_splits_over_mooncake():
    """SGLang on AMD (sglang-rocm) is SGLang's own server: same command and options, and its
    prefill/decode split moves the KV cache over Mooncake as the CUDA build's does."""
    rocm, cuda = template_for("sglang-rocm"), template_for("sglang")
    assert rocm is not None and rocm is cuda
    assert rocm.values["pd_backend"]["sglang-rocm"] == "mooncake"
    assert "sglang-rocm" not in rocm.extra_args  # no device flag: PyTorch on ROCm exposes its GPUs as "cuda" devices
