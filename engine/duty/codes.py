"""How customs people write codes: 8703.23.01, 8703.23.01.40, 1006.30.000 (digits in, dotted out).

Heading (4) and subheading (2) first; the national digits after the HS six are written in pairs, or as one
group when there is an odd number of them (a 9-digit code: HS six + three national digits)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=65536)
def format_code(code: str) -> str:
    national = code[6:]
    groups = [national] if len(national) % 2 else [national[i : i + 2] for i in range(0, len(national), 2)]
    return ".".join(p for p in (code[:4], code[4:6], *groups) if p)
