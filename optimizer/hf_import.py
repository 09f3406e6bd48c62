"""Turn a Hugging Face `config.json` (dense, GQA, MLA, MoE) into a procure model spec."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from optimizer.errors import InputError
from optimizer.specs import ModelSpec, parse_record

QKV_BIAS_MODEL_TYPES = {"qwen2", "qwen2_moe"}  # their configs do not state the bias; the code has it
QK_NORM_MODEL_TYPES = {"qwen3", "qwen3_moe"}
FP8_QUANT_METHODS = {"fp8", "fbgemm_fp8"}


def _need(cfg: dict[str, Any], key: str, where: str) -> Any:
    if key not in cfg:
        raise InputError(where, key, "is missing from the config", "export a complete config.json")
    return cfg[key]


def _attention(cfg: dict[str, Any], where: str) -> dict[str, Any]:
    heads = _need(cfg, "num_attention_heads", where)
    hidden = _need(cfg, "hidden_size", where)
    if cfg.get("kv_lora_rank"):
        return {
            "kind": "mla",
            "num_heads": heads,
            "num_kv_heads": cfg.get("num_key_value_heads", heads),
            "head_dim": cfg["qk_nope_head_dim"] + cfg["qk_rope_head_dim"],
            "q_lora_rank": cfg.get("q_lora_rank"),
            "kv_lora_rank": cfg["kv_lora_rank"],
            "qk_rope_head_dim": cfg["qk_rope_head_dim"],
            "qk_nope_head_dim": cfg["qk_nope_head_dim"],
            "v_head_dim": cfg["v_head_dim"],
        }
    model_type = cfg.get("model_type", "")
    return {
        "kind": "gqa",
        "num_heads": heads,
        "num_kv_heads": cfg.get("num_key_value_heads") or heads,
        "head_dim": cfg.get("head_dim") or hidden // heads,
        "qkv_bias": bool(cfg.get("attention_bias", False)) or model_type in QKV_BIAS_MODEL_TYPES,
        "qk_norm": model_type in QK_NORM_MODEL_TYPES,
    }


def _moe(cfg: dict[str, Any]) -> dict[str, Any] | None:
    if cfg.get("n_routed_experts"):  # DeepSeek-V2/V3/R1
        return {
            "num_routed_experts": cfg["n_routed_experts"],
            "experts_per_token": cfg["num_experts_per_tok"],
            "num_shared_experts": cfg.get("n_shared_experts") or 0,
            "moe_intermediate_size": cfg["moe_intermediate_size"],
            "dense_layers": cfg.get("first_k_dense_replace", 0),
        }
    if cfg.get("num_local_experts"):  # Mixtral
        return {
            "num_routed_experts": cfg["num_local_experts"],
            "experts_per_token": cfg["num_experts_per_tok"],
            "num_shared_experts": 0,
            "moe_intermediate_size": cfg["intermediate_size"],
            "dense_layers": 0,
        }
    if cfg.get("num_experts"):  # Qwen-MoE
        if cfg.get("mlp_only_layers") or cfg.get("decoder_sparse_step", 1) != 1:
            raise InputError(
                "config.json", "mlp_only_layers", "interleaved dense and MoE layers are not modelled",
                "only leading dense layers are supported",
            )
        shared = cfg.get("shared_expert_intermediate_size") or 0
        return {
            "num_routed_experts": cfg["num_experts"],
            "experts_per_token": cfg["num_experts_per_tok"],
            "num_shared_experts": 1 if shared else 0,
            "moe_intermediate_size": cfg["moe_intermediate_size"],
            "shared_expert_intermediate_size": shared or None,
            "dense_layers": 0,
        }
    return None


def _checkpoint_precision(cfg: dict[str, Any]) -> str:
    quant = cfg.get("quantization_config") or {}
    if quant.get("quant_method") in FP8_QUANT_METHODS:
        return "fp8"
    return {"float16": "fp16"}.get(cfg.get("torch_dtype", "bfloat16"), "bf16")


def spec_from_config(
    cfg: dict[str, Any], model_id: str, *, name: str | None = None, source: str, date: str,
    published_total_params_b: float | None = None, published_active_params_b: float | None = None,
    where: str = "config.json",
) -> ModelSpec:
    if not isinstance(cfg, dict):
        raise InputError(where, "(top level)", "is not a JSON object", "pass a Hugging Face config.json")
    moe = _moe(cfg)
    data = {
        "id": model_id,
        "name": name or model_id,
        "hidden_size": _need(cfg, "hidden_size", where),
        "num_layers": _need(cfg, "num_hidden_layers", where),
        "intermediate_size": _need(cfg, "intermediate_size", where),
        "vocab_size": _need(cfg, "vocab_size", where),
        "tie_embeddings": bool(cfg.get("tie_word_embeddings", False)),
        "max_context": cfg.get("max_position_embeddings", 4096),
        "attention": _attention(cfg, where),
        "moe": moe,
        "checkpoint_precision": _checkpoint_precision(cfg),
        "published_total_params_b": published_total_params_b,
        "published_active_params_b": published_active_params_b,
        "provenance": {"source": source, "date": date},
    }
    return parse_record(ModelSpec, data, where)  # type: ignore[return-value]


def read_config(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(str(path), "(file)", f"cannot be read ({exc.strerror})", "check the path") from exc
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"line {exc.lineno}", f"is not valid JSON ({exc.msg})", "fix the file") from exc
    if not isinstance(data, dict):
        raise InputError(str(path), "(top level)", "is not a JSON object", "pass a Hugging Face config.json")
    return data


def spec_to_yaml(spec: ModelSpec) -> str:
    import yaml

    body = spec.model_dump(mode="json", exclude_none=True)
    header = f"# {spec.name}: generated by `procure model import` from {spec.provenance.source}\n"
    return header + yaml.safe_dump(body, sort_keys=False, allow_unicode=True)
