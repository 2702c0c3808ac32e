"""clearance.engine: load -> read -> match -> resolve -> report, one sub-package per stage (README, The pipeline).

The public API:

- `check(paths, settings, output, fmt, ...)`: the library function of `clearance check` (files in, one result
  per line out, the run recorded in a database if given); `Checker` checks records in this process.
- `load_rules(folder)` / `load_pack(folder)` -> `Pack`; `PackError` for a pack that cannot be loaded.
- `Result`: one line's verdict, duties and reasons.
"""

from .packs.load import BUNDLED_RULES, Pack, PackError, load_pack, load_rules
from .report.result import Result
from .run.batch import check
from .run.check import Checker

__all__ = ["BUNDLED_RULES", "Checker", "Pack", "PackError", "Result", "check", "load_pack", "load_rules"]
