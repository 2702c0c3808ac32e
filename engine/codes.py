"""How customs people write codes: 8703.23.01, 8703.23.01.40, 0201.30.500 (digits in, dotted out)."""

from __future__ import annotations


def format_code(code: str) -> str:
    return ".".join(p for p in (code[:4], code[4:6], code[6:8], code[8:]) if p)
