"""clearance.engine: load -> match -> resolve -> report.

- `load`: rule-pack folders (YAML) -> pydantic models (`model`), with named code lists.
- `compile` + `match`: measures -> durable-rules rulesets; lines -> facts; which rules each line matches.
- `resolve`: stacking, Decimal duties, conditions, declared-vs-computed, verdict.
- `formats`: table, json, jsonl and csv writers of the results.
"""

from .packs.load import BUNDLED_RULES, Pack, PackError, load_pack, load_rules
from .report.result import Result
from .run.batch import check
from .run.check import Checker

__all__ = ["BUNDLED_RULES", "Checker", "Pack", "PackError", "Result", "check", "load_pack", "load_rules"]
