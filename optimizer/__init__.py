"""procure: GPU procurement recommender for LLM inference.

Layers (imports point one way): cli -> report -> solve -> perf -> specs.
"""

__version__ = "0.1.0"
