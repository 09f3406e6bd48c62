"""Turn a Hugging Face `config.json` (dense, GQA, MLA, MoE, hybrid attention) into a procure model spec.

Hybrid attention: a `layer_types` list (gpt-oss, Qwen3-Next, Qwen3.5) or, for Qwen3-Next configs that
omit it, `full_attention_interval`, says which layers run full attention. Only those keep a per-token
KV cache that grows with the context, so `attention.kv_layers` is their count. `sliding_attention`
layers (gpt-oss: a 128-token window) keep a bounded cache and `linear_attention` layers (Gated
DeltaNet) a fixed recurrent state; neither grows with the context, so neither is counted. Multimodal
wrappers (Qwen3.5: `text_config` nested in the top-level config) are unwrapped to the text model.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from optimizer.catalog.records import ModelSpec
from optimizer.catalog.validation import parse_record
from optimizer.catalog.yaml_io import MAX_DIGITS, read_text
from optimizer.errors import InputError, Problem

QKV_BIAS_MODEL_TYPES = {"qwen2", "qwen2_moe"}  # their configs do not state the bias; the code has it
QK_NORM_MODEL_TYPES = {"qwen3", "qwen3_moe", "qwen3_next", "qwen3_5_text", "qwen3_5_moe_text"}
# Qwen3-Next's attention always has the output gate (q_proj twice as wide); its config does not say so.
OUTPUT_GATE_MODEL_TYPES = {"qwen3_next"}
LINEAR_ATTENTION_KEYS = {
    "num_key_heads": "linear_num_key_heads", "num_value_heads": "linear_num_value_heads",
    "key_head_dim": "linear_key_head_dim", "value_head_dim": "linear_value_head_dim",
    "conv_kernel_dim": "linear_conv_kernel_dim",
}
INDEXER_KEYS = {"num_heads": "index_n_heads", "head_dim": "index_head_dim", "topk": "index_topk"}
# The indexer's key cache format, which config.json does not state: FP8 (e4m3) keys with one FP32
# scale per 128 elements in DeepSeek's reference inference code (DeepSeek-V3.2-Exp inference/model.py,
# Indexer k_cache and k_scale_cache, 2025-09-29), as in vLLM's and SGLang's DSA caches.
INDEXER_KEY_CACHE = {"key_element_bytes": 1, "key_scale_bytes": 4, "key_scale_block_elements": 128}
FP8_QUANT_METHODS = {"fp8", "fbgemm_fp8"}
# MXFP4 (gpt-oss experts) and NVFP4 store 4-bit weights at 0.5 byte a parameter: the catalog's `fp4`.
FP4_QUANT_METHODS = {"mxfp4", "nvfp4"}
FULL_ATTENTION = "full_attention"
CONSTANT_STATE_LAYER_TYPES = {"sliding_attention", "linear_attention"}


def _need(cfg: dict[str, Any], key: str, where: str) -> Any:
    if key not in cfg:
        raise InputError(where, key, "is missing from the config", "export a complete config.json")
    return cfg[key]


MAX_COUNT = 10_000_000  # no layer count, head count or width of a real model comes near


def _count(cfg: dict[str, Any], key: str, where: str, required: bool = True) -> Any:
    """A whole number > 0 that the import computes with (heads, layers, widths); None if absent
    and not required."""
    if key not in cfg and not required:
        return None
    value = _need(cfg, key, where)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_COUNT:
        raise InputError(where, key, f"is {value!r}, not a whole number between 1 and {MAX_COUNT:,}",
                         "export the model's own config.json")
    return value


# Where each spec field comes from in a config.json, to name the user's key in errors.
CONFIG_KEYS = {
    "hidden_size": "hidden_size", "num_layers": "num_hidden_layers", "intermediate_size": "intermediate_size",
    "vocab_size": "vocab_size", "max_context": "max_position_embeddings", "tie_embeddings": "tie_word_embeddings",
    "attention": "num_attention_heads/num_key_value_heads", "attention.num_heads": "num_attention_heads",
    "attention.num_kv_heads": "num_key_value_heads", "attention.head_dim": "head_dim",
    "attention.kv_layers": "layer_types", "attention.q_lora_rank": "q_lora_rank",
    "attention.kv_lora_rank": "kv_lora_rank", "attention.qk_rope_head_dim": "qk_rope_head_dim",
    **{f"attention.linear.{k}": v for k, v in LINEAR_ATTENTION_KEYS.items()},
    **{f"attention.indexer.{k}": v for k, v in INDEXER_KEYS.items()},
    "attention.qk_nope_head_dim": "qk_nope_head_dim", "attention.v_head_dim": "v_head_dim",
    "moe": "num_experts_per_tok", "moe.experts_per_token": "num_experts_per_tok",
    "moe.num_routed_experts": "n_routed_experts/num_local_experts/num_experts",
    "moe.num_shared_experts": "n_shared_experts", "moe.moe_intermediate_size": "moe_intermediate_size",
    "moe.shared_expert_intermediate_size": "shared_expert_intermediate_size",
    "moe.dense_layers": "first_k_dense_replace", "mtp_layers": "num_nextn_predict_layers/mtp_num_hidden_layers",
    "checkpoint_precision": "torch_dtype/quantization_config", "hf_model_type": "model_type",
    "(top level)": "num_hidden_layers/first_k_dense_replace/layer_types",
    "id": "--id", "name": "--id", "provenance.date": "--date", "provenance.source": "--source",
    "published_total_params_b": "--published-params-b", "published_active_params_b": "--published-params-b",
}


def _config_key(field: str) -> str:
    for n in range(field.count(".") + 1, 0, -1):
        head = ".".join(field.split(".")[:n])
        if head in CONFIG_KEYS:
            return CONFIG_KEYS[head]
    return field


def _text_config(cfg: dict[str, Any], where: str) -> dict[str, Any]:
    """The language model's config: a multimodal wrapper's `text_config`, else the config itself.
    Top-level keys the text config lacks (quantization_config, tie_word_embeddings, dtype) carry over."""
    text = cfg.get("text_config")
    if text is None:
        return cfg
    if not isinstance(text, dict):
        raise InputError(where, "text_config", "is not a JSON object", "pass the model's own config.json")
    outer = {k: v for k, v in cfg.items() if k not in ("text_config", "vision_config", "audio_config")}
    return {**outer, **text}


def _kv_layers(cfg: dict[str, Any], where: str) -> int | None:
    """Layers that keep a per-token KV cache; None when every layer does (plain full attention)."""
    layers = _count(cfg, "num_hidden_layers", where)
    layer_types = cfg.get("layer_types")
    if layer_types is None and cfg.get("full_attention_interval"):
        interval = cfg["full_attention_interval"]
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
            raise InputError(where, "full_attention_interval", f"is {interval!r}", "give a positive whole number")
        # Qwen3-Next: layer i is full attention when (i + 1) % interval == 0, otherwise linear.
        layer_types = [FULL_ATTENTION if (i + 1) % interval == 0 else "linear_attention" for i in range(layers)]
    if layer_types is None:
        return None
    if not isinstance(layer_types, list) or len(layer_types) != layers:
        raise InputError(
            where, "layer_types", f"must list one type per layer ({layers} layers, num_hidden_layers)",
            "export a complete config.json",
        )
    unknown = sorted({str(t) for t in layer_types if t != FULL_ATTENTION and t not in CONSTANT_STATE_LAYER_TYPES})
    if unknown:
        raise InputError(
            where, "layer_types", f"has layer types that are not modelled: {', '.join(map(str, unknown))}",
            "only full_attention, sliding_attention and linear_attention layers are supported",
        )
    full = sum(1 for t in layer_types if t == FULL_ATTENTION)
    if full == 0:
        raise InputError(
            where, "layer_types", "has no full_attention layer; a model without a growing KV cache is not modelled",
            "only hybrid models with some full-attention layers are supported",
        )
    return None if full == layers else full


def _kv_heads(cfg: dict[str, Any], heads: int, where: str) -> int:
    """`num_key_value_heads`; absent or null means multi-head attention (one KV head per query
    head), as in Hugging Face's own config classes. 0 is not a head count."""
    if cfg.get("num_key_value_heads") is None:
        return heads
    return int(_count(cfg, "num_key_value_heads", where))


def _mtp_layers(cfg: dict[str, Any], where: str) -> int | None:
    """Multi-token-prediction modules shipped with the checkpoint (DeepSeek-V3/R1:
    `num_nextn_predict_layers`, Qwen3.5: `mtp_num_hidden_layers`); None when the config has none."""
    for key in ("num_nextn_predict_layers", "mtp_num_hidden_layers"):
        if cfg.get(key) not in (None, 0):
            return int(_count(cfg, key, where))
    return None


def _linear(cfg: dict[str, Any], kv_layers: int | None, where: str) -> dict[str, Any] | None:
    """Gated DeltaNet shapes (`linear_*` keys) when some layers are linear attention."""
    if kv_layers is None or "linear_num_value_heads" not in cfg:
        return None
    return {field: _count(cfg, key, where) for field, key in LINEAR_ATTENTION_KEYS.items()}


def _indexer(cfg: dict[str, Any], where: str) -> dict[str, Any] | None:
    """DeepSeek Sparse Attention indexer (`index_*` keys, DeepSeek-V3.2)."""
    if not cfg.get("index_topk"):
        return None
    return {**{field: _count(cfg, key, where) for field, key in INDEXER_KEYS.items()}, **INDEXER_KEY_CACHE}


def _attention(cfg: dict[str, Any], where: str) -> dict[str, Any]:
    heads = _count(cfg, "num_attention_heads", where)
    hidden = _count(cfg, "hidden_size", where)
    kv_layers = _kv_layers(cfg, where)
    if cfg.get("kv_lora_rank"):
        return {
            "indexer": _indexer(cfg, where),
            "kind": "mla",
            "num_heads": heads,
            "num_kv_heads": _kv_heads(cfg, heads, where),
            "head_dim": _count(cfg, "qk_nope_head_dim", where) + _count(cfg, "qk_rope_head_dim", where),
            "kv_layers": kv_layers,
            "q_lora_rank": cfg.get("q_lora_rank"),
            "kv_lora_rank": cfg["kv_lora_rank"],
            "qk_rope_head_dim": cfg["qk_rope_head_dim"],
            "qk_nope_head_dim": cfg["qk_nope_head_dim"],
            "v_head_dim": _need(cfg, "v_head_dim", where),
        }
    model_type = cfg.get("model_type", "")
    return {
        "kind": "gqa",
        "num_heads": heads,
        "num_kv_heads": _kv_heads(cfg, heads, where),
        "head_dim": _count(cfg, "head_dim", where, required=False) or hidden // heads,
        "qkv_bias": bool(cfg.get("attention_bias", False)) or model_type in QKV_BIAS_MODEL_TYPES,
        "qk_norm": model_type in QK_NORM_MODEL_TYPES or cfg.get("use_qk_norm") is True,
        "kv_layers": kv_layers,
        "output_gate": cfg.get("attn_output_gate") is True or model_type in OUTPUT_GATE_MODEL_TYPES,
        "linear": _linear(cfg, kv_layers, where),
    }


def _top_k(cfg: dict[str, Any], where: str) -> Any:
    """Experts per token: `num_experts_per_tok`, or gpt-oss's original `experts_per_token`."""
    for key in ("num_experts_per_tok", "experts_per_token"):
        if cfg.get(key):
            return cfg[key]
    raise InputError(where, "num_experts_per_tok", "is missing from an MoE config", "export a complete config.json")


def _moe(cfg: dict[str, Any], where: str = "config.json") -> dict[str, Any] | None:
    for key in ("n_routed_experts", "num_local_experts", "num_experts"):
        if cfg.get(key) is not None and cfg[key] != 0:
            _count(cfg, key, where)
    if cfg.get("n_routed_experts"):  # DeepSeek-V2/V3/R1, Kimi-K2
        if cfg.get("moe_layer_freq", 1) != 1:
            raise InputError(
                where, "moe_layer_freq", "interleaved dense and MoE layers are not modelled",
                "only leading dense layers (first_k_dense_replace) are supported",
            )
        return {
            "num_routed_experts": cfg["n_routed_experts"],
            "experts_per_token": _top_k(cfg, where),
            "num_shared_experts": cfg.get("n_shared_experts") or 0,
            "moe_intermediate_size": _need(cfg, "moe_intermediate_size", where),
            "dense_layers": cfg.get("first_k_dense_replace", 0),
        }
    if cfg.get("num_local_experts"):  # Mixtral, gpt-oss (its experts are `intermediate_size` wide)
        return {
            "num_routed_experts": cfg["num_local_experts"],
            "experts_per_token": _top_k(cfg, where),
            "num_shared_experts": 0,
            "moe_intermediate_size": _need(cfg, "intermediate_size", where),
            "dense_layers": 0,
        }
    if cfg.get("num_experts"):  # Qwen-MoE, Qwen3-Next, Qwen3.5-MoE; gpt-oss's original config format
        if cfg.get("mlp_only_layers") or cfg.get("decoder_sparse_step", 1) != 1:
            raise InputError(
                where, "mlp_only_layers", "interleaved dense and MoE layers are not modelled",
                "only leading dense layers are supported",
            )
        width = cfg.get("moe_intermediate_size")
        if width is None and cfg.get("model_type") == "gpt_oss":
            width = cfg.get("intermediate_size")
        if width is None:
            raise InputError(where, "moe_intermediate_size", "is missing from an MoE config", "export a complete config.json")
        shared = cfg.get("shared_expert_intermediate_size") or 0
        return {
            "num_routed_experts": cfg["num_experts"],
            "experts_per_token": _top_k(cfg, where),
            "num_shared_experts": 1 if shared else 0,
            "moe_intermediate_size": width,
            "shared_expert_intermediate_size": shared or None,
            "dense_layers": 0,
        }
    return None


def _checkpoint_precision(cfg: dict[str, Any]) -> str:
    """The storage format of the bulk of the weights. gpt-oss keeps attention, router and embeddings
    in BF16 and only the experts (~97% of the parameters) in MXFP4; that is recorded as fp4."""
    quant = cfg.get("quantization_config") or {}
    method = str(quant.get("quant_method", "")).lower()
    if method in FP8_QUANT_METHODS:
        return "fp8"
    if method in FP4_QUANT_METHODS:
        return "fp4"
    dtype = cfg.get("torch_dtype") or cfg.get("dtype") or "bfloat16"
    return {"float16": "fp16"}.get(str(dtype), "bf16")


def _dense_ffn_width(cfg: dict[str, Any], moe: dict[str, Any] | None, where: str) -> Any:
    """`intermediate_size`. All-MoE configs without dense layers may omit it (Qwen3.5-MoE); the
    width of a dense FFN is then never used, and the expert width is recorded in its place."""
    if "intermediate_size" in cfg:
        return cfg["intermediate_size"]
    if moe is not None and moe["dense_layers"] == 0:
        return moe["moe_intermediate_size"]
    return _need(cfg, "intermediate_size", where)


def spec_from_config(
    cfg: dict[str, Any], model_id: str, *, name: str | None = None, source: str, date: str,
    published_total_params_b: float | None = None, published_active_params_b: float | None = None,
    where: str = "config.json",
) -> ModelSpec:
    if not isinstance(cfg, dict):
        raise InputError(where, "(top level)", "is not a JSON object", "pass a Hugging Face config.json")
    cfg = _text_config(cfg, where)
    # The language model's type (a multimodal wrapper's text_config's), as engines read it (ATOM: hf_text_config).
    model_type = cfg.get("model_type") or None
    if model_type is not None and not isinstance(model_type, str):
        raise InputError(where, "model_type", f"is {type(model_type).__name__}, not a name", "export the model's own config.json")
    quant = cfg.get("quantization_config")
    if quant is not None and not isinstance(quant, dict):
        raise InputError(where, "quantization_config", "is not a JSON object", "export the model's own config.json")
    moe = _moe(cfg, where)
    data = {
        "id": model_id,
        "name": name or model_id,
        "hidden_size": _need(cfg, "hidden_size", where),
        "num_layers": _need(cfg, "num_hidden_layers", where),
        "intermediate_size": _dense_ffn_width(cfg, moe, where),
        "vocab_size": _need(cfg, "vocab_size", where),
        "tie_embeddings": bool(cfg.get("tie_word_embeddings", False)),
        "max_context": cfg.get("max_position_embeddings", 4096),
        "attention": _attention(cfg, where),
        "moe": moe,
        "mtp_layers": _mtp_layers(cfg, where),
        "checkpoint_precision": _checkpoint_precision(cfg),
        "hf_model_type": model_type,
        "published_total_params_b": published_total_params_b,
        "published_active_params_b": published_active_params_b,
        "provenance": {"source": source, "date": date},
    }
    try:
        return parse_record(ModelSpec, data, where)
    except InputError as exc:  # name the config.json keys (and options), not the spec's fields
        raise InputError.of(where, [
            Problem(_config_key(p.field), p.problem, "export the model's own config.json" if not _config_key(p.field)
                    .startswith("--") else p.fix, p.line)
            for p in exc.problems
        ]) from None


class _Unusable:
    """A JSON value no config may hold (NaN, Infinity, a number beyond any count), kept in place
    while parsing so that the error can name its key."""

    def __init__(self, token: str, what: str) -> None:
        self.token, self.what = token, what


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


def _number(token: str) -> Any:
    digits = sum(c.isdigit() for c in token)
    if digits > MAX_DIGITS:
        return _Unusable(token, f"a {digits:,}-digit number")
    value = float(token) if any(c in token for c in ".eE") else int(token)
    return value if math.isfinite(value) else _Unusable(token, f"{token}, beyond a finite number")


def _unusable(data: Any, path: tuple[str, ...] = ()) -> tuple[tuple[str, ...], _Unusable] | None:
    """The first unusable value in the parsed config and its key path."""
    if isinstance(data, _Unusable):
        return path, data
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        found = _unusable(value, (*path, str(key)))
        if found:
            return found
    return None


def _line_of_key(text: str, key: str, nth: int = 1, value: str = "") -> int | None:
    """The line of the nth `"key":` (followed by `value` when given) in the JSON text."""
    pattern = re.compile(re.escape(json.dumps(key)) + r"\s*:\s*" + re.escape(value))
    found = list(pattern.finditer(text))
    if len(found) < nth:
        return None
    return text.count("\n", 0, found[nth - 1].start()) + 1


def read_config(path: Path) -> dict[str, Any]:
    """A config.json as a dict: valid JSON, no key given twice, no NaN/Infinity and no number
    beyond any count (each named by its key and line)."""
    text = read_text(path, "config.json")
    where = str(path)
    try:
        data = json.loads(text, parse_constant=lambda t: _Unusable(t, f"{t}, not a number"), parse_int=_number,
                          parse_float=_number, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise InputError(where, f"line {exc.lineno}", f"is not valid JSON ({exc.msg})", "fix the file", line=exc.lineno) from None
    except _DuplicateKey as exc:
        raise InputError(where, exc.key, "is given twice; JSON readers would silently keep the last",
                         "keep one of the two", line=_line_of_key(text, exc.key, 2)) from None
    except RecursionError:
        raise InputError(where, "(file)", "is nested too deeply", "pass a Hugging Face config.json") from None
    if not isinstance(data, dict):
        raise InputError(where, "(top level)", "is not a JSON object", "pass a Hugging Face config.json")
    bad = _unusable(data)
    if bad is not None:
        keys, value = bad
        raise InputError(where, ".".join(keys) or "(top level)", f"is {value.what}", "give the model's own finite value",
                         line=_line_of_key(text, keys[-1], value=value.token) if keys else None)
    return data


def spec_to_yaml(spec: ModelSpec) -> str:
    import yaml

    body = spec.model_dump(mode="json", exclude_none=True)
    header = f"# {spec.name}: generated by `procure model import` from {spec.provenance.source}\n"
    return header + yaml.safe_dump(body, sort_keys=False, allow_unicode=True)
