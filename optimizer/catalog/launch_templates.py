"""How each serving engine is launched (catalog/launch.yaml): its command, the option that carries
each setting of a plan, the engine's spelling of procure's values, and every option name the
engine's own argument parser or configuration documentation defines, with where that list was read.

`procure export` (report/launch.py) writes only options named here, and loading refuses a template
whose option is not among the documented ones: a misspelt flag is a catalog error, not a launch that
fails on the buyer's servers."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from optimizer.catalog.overlay import overlay_dir
from optimizer.catalog.records import Provenance, Strict, merged_mapping
from optimizer.errors import InputError

# The settings of a replica a launch can carry. A template maps the ones its engine has to option
# names; a setting it does not map is written as a note beside the command.
SETTINGS = (
    "model", "served_name", "tp", "pp", "dp", "dp_attention", "ep", "enable_ep", "moe_a2a", "running_cap", "prefill_budget",
    "context", "kv_dtype", "quantization", "mem_fraction", "nnodes", "node_rank", "dist_addr", "dp_local", "dp_address",
    "dp_rpc_port", "dp_start_rank", "headless", "spec_algorithm", "spec_steps", "spec_topk", "spec_draft", "spec_config",
    "pd_mode", "pd_backend", "kv_transfer_config", "host", "port", "trust_remote_code", "backend", "extra_options",
    "world_size", "multi_node",
)

Style = Literal["sglang", "vllm", "atom", "trtllm", "mindie"]
ROUTER_SETTINGS = ("pd", "prefill", "decode", "host", "port")


class RouterTemplate(Strict):
    """The front end of a prefill/decode split: one URL per prefill and per decode instance."""

    command: str = Field(min_length=1)
    options: dict[str, str] = Field(description="pd, prefill, decode, host, port -> the router's option name")
    documented_options: list[str] = Field(min_length=1)
    provenance: Provenance

    @model_validator(mode="after")
    def _options_documented(self) -> RouterTemplate:
        unknown = sorted(set(self.options) - set(ROUTER_SETTINGS))
        missing = sorted(o for o in self.options.values() if o not in self.documented_options)
        if unknown or missing:
            raise ValueError(f"router options: unknown settings {unknown}, undocumented names {missing}")
        return self


class LaunchTemplate(Strict):
    """One engine's launch: a command line (style sglang, vllm, atom, trtllm) or a configuration file
    (mindie, whose `options` are JSON key paths of its config.json)."""

    style: Style
    engines: list[str] = Field(min_length=1, description="engine profiles (catalog/engines.yaml) launched this way")
    version: str = Field(min_length=1, description="the release whose options these are")
    command: str = Field(min_length=1)
    options: dict[str, str] = Field(description="setting (SETTINGS) -> the engine's option name")
    values: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="setting -> procure's value -> the engine's spelling of it")
    extra_args: dict[str, list[str]] = Field(
        default_factory=dict, description="engine id -> arguments every launch of that engine adds (device, backend)")
    documented_options: list[str] = Field(min_length=1, description="every option name the source defines")
    notes: list[str] = Field(default_factory=list, description="what an operator must know that no option says")
    router: RouterTemplate | None = Field(None, description="the prefill/decode router, where the engine project ships one")
    provenance: Provenance

    @model_validator(mode="after")
    def _options_documented(self) -> LaunchTemplate:
        unknown = sorted(set(self.options) - set(SETTINGS))
        if unknown:
            raise ValueError(f"options name unknown settings {unknown}; settings are {', '.join(SETTINGS)}")
        documented = set(self.documented_options)
        missing = sorted(o for o in self.options.values() if o not in documented)
        if missing:
            raise ValueError(f"options {missing} are not among documented_options; copy the option name exactly as the "
                             "engine's source spells it, or add the source's list")
        extra = sorted(a for args in self.extra_args.values() for a in args if a.startswith("-") and a not in documented)
        if extra:
            raise ValueError(f"extra_args {extra} are not among documented_options")
        return self


def load_launch_templates() -> dict[str, LaunchTemplate]:
    """The templates by name (the overlay's launch.yaml adds or replaces by name); an engine profile
    is launched by at most one of them."""
    return _launch_templates(overlay_dir())


@lru_cache(maxsize=4)
def _launch_templates(overlay: Path | None) -> dict[str, LaunchTemplate]:
    templates, source = merged_mapping("launch.yaml", LaunchTemplate, overlay)
    seen: dict[str, str] = {}
    for name, t in templates.items():
        for engine in t.engines:
            if engine in seen:
                raise InputError(f"{source[name]}:{name}", "engines", f"{engine!r} is also launched by {seen[engine]!r}",
                                 "list each engine under one template")
            seen[engine] = name
    return templates


def template_for(engine: str) -> LaunchTemplate | None:
    """The template that launches an engine profile, or None (no template: the export lists the settings)."""
    return next((t for t in load_launch_templates().values() if engine in t.engines), None)
