"""Reference data from the official HTSUS: USITC exports loaded into SQLite, editions chosen by entry date.

Entry points (the pipeline and the CLI use only these):

- `import_edition(db_path, csv_path, edition, effective) -> ImportReport`: load one export (CSV) as a named
  edition in force from `effective` until the next edition's date; one transaction; re-importing a name
  replaces it. `clearance hts import FILE --edition NAME --effective DATE [--db PATH]`.
- `HtsReference(db_path)`: the editions of a store. Raises `HtsError` (one-line message) if the file is
  missing or is not an HTS store. Each edition is read into memory on first use; the object holds no
  connection and can be pickled to worker processes.
  - `edition_for(date) -> Edition | None`: the edition in force on an entry date.
  - `lookup(code, date) -> HtsLine | None`: the line of an 8- or 10-digit code (dots ignored), its rates
    resolved: statistical suffixes inherit the blank columns of their 8-digit line; an 8-digit subheading
    without statistical suffixes is found through its single 10-digit line.
  - `exists(code, date) -> bool`: a 10-digit code must be a line; an 8-digit code a subheading.
  - `nearest(code, date, n=3) -> list[str]`: valid codes (digits) of the same length closest to `code`.
  - `special_rate(line, programs) -> (program, rate) | None`: the Special-column rate of a claimed program.
  - `ancestors(line) -> list[HtsRow]`: the rows above a line, outermost first.
- `reference_check(line, ref) -> (mfn_rate | None, reasons)`: what the reference says about an entry line:
  fills a missing MFN rate (`hts.mfn-filled`, info), flags a declared rate that differs (`hts.mfn-differs`,
  warning), rejects an unknown 10-digit code (`hts.unknown-code`, error, with the nearest codes; an unknown
  8-digit subheading is `hts.unknown-subheading`, warning), applies a claimed and listed preference
  (`hts.preference`, info; `hts.preference-restricted`, warning, for `A*`/`A+`-style listings;
  `hts.preference-text`, warning; `hts.preference-not-listed`, info), and warns when no usable rate exists
  (`hts.mfn-unavailable`; `hts.no-edition`, info, when no edition is in force).
- `covering_measures(pack, code, date) -> list[Measure]`: the measures whose code scope covers a code.
- `read_rate(text)`, `TEXT_ONLY_RATES`: the HTSUS rate grammar and the prose rates (engine/reference/rates.py).

Integration in the pipeline, for the lines of the pack that uses the HTSUS (the caller decides which)::

    ref = HtsReference(db_path)                       # once per run
    mfn_rate, reasons = reference_check(line, ref)    # per parsed Line, before resolve
    line = line.model_copy(update={"mfn_rate": mfn_rate})
    result = resolve(compiled, line, refs)            # then add `reasons` to result.reasons, recompute verdict

The MFN rate must be in the line before matching (measures may require `mfn_rate`) and before resolving.
"""

from __future__ import annotations

from pathlib import Path

from .checks import covering_measures, reference_check
from .edition import Edition, HtsLine, HtsReference, HtsRow
from .importer import HtsError, ImportReport, import_edition
from .rates import TEXT_ONLY_RATES, UnreadableRate, read_rate, special_programs

SCHEDULE = "htsus"  # the `schedule` a pack names to be checked against these editions


def references_in(db_path: str | Path | None) -> dict[str, HtsReference]:
    """The reference data a run database holds: its HTSUS editions, if any were imported into it."""
    if db_path is None or not Path(db_path).is_file():
        return {}
    try:
        ref = HtsReference(db_path)
    except HtsError:
        return {}
    return {SCHEDULE: ref} if ref.editions else {}


__all__ = [
    "TEXT_ONLY_RATES",
    "Edition",
    "HtsError",
    "HtsLine",
    "HtsReference",
    "HtsRow",
    "ImportReport",
    "UnreadableRate",
    "covering_measures",
    "import_edition",
    "read_rate",
    "reference_check",
    "references_in",
    "special_programs",
]
