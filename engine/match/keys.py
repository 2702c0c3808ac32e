"""Match keys, column by column: each column's distinct values are reduced once to the fact fields this
pack's rules can test (`CompiledPack.fact`, piece by piece); a line's key is those pieces together. A key
seen before takes its matched rules from a bounded cache shared by every batch of the run; durable-rules
is asked only about new keys (and, through `Matcher`, only about their projections it has not seen)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_FLOOR

from ..entries.columns import LineView
from ..packs.model import SHARE_FIELDS
from .compile import CompiledPack, RuleRef, day, minor_units
from .matcher import Matcher

Key = tuple
CACHE_SIZE = 100_000  # keys remembered per pack (then the cache starts again): about 30 MB at most
PIECES = 20_000  # distinct values remembered per column


class MatchKeys:
    def __init__(self, compiled: CompiledPack, matcher: Matcher, size: int = CACHE_SIZE) -> None:
        self.compiled, self.matcher, self.size = compiled, matcher, size
        self.minor_unit = compiled.pack.header.minor_unit
        self.cache: dict[Key, frozenset[RuleRef] | Exception] = {}
        self._pieces: dict[str, dict] = {}
        c = compiled
        self._makers: dict[str, Callable] = {
            "code": self._code,
            "origin": lambda o: (("o", c.keep("o", o)), *((k, 1) for k in c.areas_of(o))),
            "d": lambda d: (("d", c.canonical("d", day(d))),),
            "ld": lambda d: (("ld", c.canonical("ld", day(d))),),
            "mode": lambda m: (("mode", c.keep("mode", m)),),
            "documents": _names(c.documents.names),
            "spi": _names(c.spi.names),
            "attributes": self._attributes,
        }
        self.asked = 0  # keys durable-rules was asked about

    def _piece(self, kind: str, value: object) -> tuple:
        pieces = self._pieces.setdefault(kind, {})
        found = pieces.get(value)
        if found is None:
            if len(pieces) >= PIECES:
                pieces.clear()
            found = pieces[value] = self._makers[kind](value)
        return found

    def _code(self, code: str) -> tuple:
        c = self.compiled
        fields = tuple((f"h{n}", c.keep(f"h{n}", code[:n])) for n in c.code_lengths)
        return fields + tuple((k, 1) for n in range(2, len(code) + 1) for k in c.list_index.get(code[:n], ()))

    def _attributes(self, items: tuple) -> tuple:
        c, given = self.compiled, dict(items)
        return tuple((key, c.keep(key, given.get(name, ""))) for name, key in c.attributes.names.items())

    def key(self, v: LineView) -> Key:
        """The line's fact as a tuple of fields (the same fields and values as `CompiledPack.fact`)."""
        piece = self._piece
        k = piece("code", v.hts_code) + piece("origin", v.origin) + piece("d", v.entry_date)
        if v.loaded_date is not None:
            k += piece("ld", v.loaded_date)
        if v.transport_mode:
            k += piece("mode", v.transport_mode)
        if v.documents:
            k += piece("documents", v.documents)
        if v.spi:
            k += piece("spi", v.spi)
        k += piece("attributes", tuple(v.attributes.items()))
        for name in SHARE_FIELDS:
            part = getattr(v, name)
            if part is not None:
                k += ((f"has_{name}", 1),)
                if v.value > 0:
                    share = int((part * 10000 / v.value).to_integral_value(rounding=ROUND_FLOOR))
                    k += ((f"sh_{name}", self.compiled.canonical(f"sh_{name}", share)),)
        if "val" in self.compiled.bounds:  # some rule tests the customs value (as `CompiledPack.fact`)
            k += (("val", self.compiled.canonical("val", minor_units(v.value, self.minor_unit, up=True))),)
        if v.quantity is not None:
            k += (("has_quantity", 1),)
        if v.mfn_rate is not None:
            k += (("has_mfn_rate", 1),)
        return k

    def refs(self, lines: Sequence[LineView]) -> list[frozenset[RuleRef] | Exception]:
        """What each line matched (an exception for a line durable-rules failed on), in order."""
        keys = [self.key(v) for v in lines]
        cache = self.cache
        out = [cache.get(k) for k in keys]
        new = list(dict.fromkeys(k for k, r in zip(keys, out, strict=True) if r is None))
        if not new:
            return out  # type: ignore[return-value]
        self.asked += len(new)
        found = dict(zip(new, self.matcher.match([{"t": "line", **dict(k)} for k in new]), strict=True))
        if len(cache) + len(found) > self.size:
            cache.clear()
        cache.update(found)
        return [found[k] if r is None else r for k, r in zip(keys, out, strict=True)]


def _names(vocabulary: dict[str, str]) -> Callable[[frozenset[str]], tuple]:
    return lambda names: tuple(sorted((vocabulary[n], 1) for n in names if n in vocabulary))
