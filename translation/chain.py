"""The chain: per pair, a route through the engines: the best direct engine, else two hops via a pivot.

Where several engines serve a pair, the per-pair order of the ranking file wins (written by `relay
translation rank` from measured chrF; it may put a pivot route such as "apertium+apertium via es" above a
direct engine), else the configured `engines` order (Apertium first by default: fast, deterministic,
keeps placeholders structurally), and a direct engine beats a pivot. Where no engine serves a pair, the
first pivot language that engines serve both ways carries it (en -> es -> fr on Apertium). A pivot
route's engine id names both hops, so translation memory never mixes routes, and reads
"apertium+apertium via es" first, as `relay broadcast texts` shows it.

Protection wraps the whole chain (`ProtectingTranslator`), so tokens are protected once around both hops.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Mapping, Sequence

from translation.contract import Translator
from translation.errors import UnsupportedPair
from translation.languages import normalize

IDENTITY = "identity"
# translation memory and broadcast texts keep the engine id in 100 characters, beside ";protect=...".
MAX_ENGINE_ID = 64


def backend_engine_id(backend: Translator, source: str, target: str) -> str:
    engine_id = getattr(backend, "engine_id", None)
    return engine_id(source, target) if callable(engine_id) else backend.name


@dataclass(frozen=True)
class Hop:
    source: str
    target: str
    backend: Translator


@dataclass(frozen=True)
class Route:
    """How one pair is translated: one hop (direct) or two (through `pivot`); `candidates` are the engines
    that serve it directly, in the order that decided the winner."""

    source: str
    target: str
    hops: tuple[Hop, ...]
    candidates: tuple[str, ...] = ()

    @property
    def pivot(self) -> str | None:
        return self.hops[0].target if len(self.hops) > 1 else None

    @property
    def label(self) -> str:
        """"apertium" or "apertium+apertium via es": what a person reading the texts needs to know."""
        names = "+".join(hop.backend.name for hop in self.hops)
        return f"{names} via {self.pivot}" if self.pivot else names

    def engine_id(self) -> str:
        ids = [backend_engine_id(hop.backend, hop.source, hop.target) for hop in self.hops]
        if len(ids) == 1:
            return ids[0]
        full = f"{self.label} ({', '.join(ids)})"
        if len(full) <= MAX_ENGINE_ID:
            return full
        return f"{self.label} #{hashlib.sha256(full.encode()).hexdigest()[:12]}"

    def translate(self, texts: Sequence[str]) -> list[str]:
        results = list(texts)
        for hop in self.hops:
            results = hop.backend.translate(results, hop.source, hop.target)
        return results


class RouteTranslator:
    """One route as a `Translator` of its own pair: to measure a pivot route where the chain would pick a
    direct engine (`relay translation rank`)."""

    def __init__(self, route: Route) -> None:
        self.route = route
        self.name = route.label

    def pairs(self) -> set[tuple[str, str]]:
        return {(self.route.source, self.route.target)}

    def engine_id(self, source: str, target: str) -> str:
        return self.route.engine_id()

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        if (source, target) != (self.route.source, self.route.target):
            raise UnsupportedPair(source, target, self.pairs())
        return self.route.translate(texts)


class ChainTranslator:
    """A `Translator` over several backends; `unavailable` lists engines the factory could not build.

    `ranking` maps a pair to engine names in measured order; `pivots` are the languages tried, in order,
    for pairs no engine serves directly. The route table is computed once per set of installed pairs.
    """

    name = "chain"

    def __init__(
        self,
        backends: Sequence[Translator],
        unavailable: dict[str, str] | None = None,
        *,
        pivots: Sequence[str] = (),
        ranking: Mapping[tuple[str, str], Sequence[str]] | None = None,
    ) -> None:
        self.backends = list(backends)
        self.unavailable = dict(unavailable or {})
        self.pivots = list(pivots)
        self.ranking = {pair: list(order) for pair, order in (ranking or {}).items()}
        self._table: tuple[tuple, dict[tuple[str, str], list[Translator]]] | None = None
        self._code_set: set[str] = set()

    # -- the direct table --------------------------------------------------------------------------

    def _direct(self) -> dict[tuple[str, str], list[Translator]]:
        """Every directly served pair and its backends, best first. Rebuilt only when a backend's pairs
        change (an argos package installed); the NLLB engine alone serves 40,000 pairs."""
        key = tuple(backend.pairs() for backend in self.backends)
        # Tuple equality compares each set by identity first: a backend that caches its pairs (NLLB)
        # costs nothing here; a small set rebuilt per call (Apertium) is compared by content.
        if self._table is None or self._table[0] != key:
            table: dict[tuple[str, str], list[Translator]] = {}
            for backend, pairs in zip(self.backends, key):
                for pair in pairs:
                    table.setdefault(pair, []).append(backend)
            for pair, order in self.ranking.items():
                if pair in table:
                    rank = {name: i for i, name in enumerate(order)}
                    table[pair].sort(key=lambda b: rank.get(b.name, len(rank)))  # stable: unranked keep order
            self._table = (key, table)
            self._code_set = {code for pair in table for code in pair}
        return self._table[1]

    def _route(self, source: str, target: str, direct: dict | None = None) -> Route | None:
        direct = self._direct() if direct is None else direct
        if (source, target) not in direct:
            return self._pivot_route(source, target, direct)
        backends = direct[(source, target)]
        route = Route(source, target, (Hop(source, target, backends[0]),), tuple(b.name for b in backends))
        order = self.ranking.get((source, target))
        if order:  # a measured pivot route ("apertium+apertium via es") may beat a direct engine
            pivot = self._pivot_route(source, target, direct)
            rank = {name: i for i, name in enumerate(order)}
            if pivot is not None and rank.get(pivot.label, len(rank)) < rank.get(backends[0].name, len(rank)):
                return Route(source, target, pivot.hops, route.candidates)
        return route

    def _pivot_route(self, source: str, target: str, direct: dict) -> Route | None:
        for pivot in self.pivots:
            if pivot in (source, target):
                continue
            first, second = direct.get((source, pivot)), direct.get((pivot, target))
            if first and second:
                return Route(source, target, (Hop(source, pivot, first[0]), Hop(pivot, target, second[0])))
        return None

    def direct_backends(self, source: str, target: str) -> list[Translator]:
        """The backends that serve a pair directly, best first (empty when none does)."""
        source, target = self.normalize_pair(source, target)
        return list(self._direct().get((source, target), []))

    def pivot_route(self, source: str, target: str) -> Route | None:
        """The pivot route for a pair even where a direct engine exists (to compare them)."""
        source, target = self.normalize_pair(source, target)
        return self._pivot_route(source, target, self._direct())

    # -- the contract ------------------------------------------------------------------------------

    def pairs(self) -> set[tuple[str, str]]:
        """Direct pairs and pivot pairs."""
        return set(self.routes())

    def direct_pairs(self) -> set[tuple[str, str]]:
        return set(self._direct())

    def routes(self) -> dict[tuple[str, str], Route]:
        """Every served pair and its route (for `relay translation list`)."""
        direct = self._direct()
        table = {pair: Route(*pair, (Hop(*pair, backends[0]),), tuple(b.name for b in backends))
                 for pair, backends in direct.items() if pair not in self.ranking}
        for pair in self.ranking:
            if pair in direct and (route := self._route(*pair, direct)) is not None:
                table[pair] = route
        for pivot in self.pivots:
            into = {s for (s, t) in direct if t == pivot}
            out_of = {t for (s, t) in direct if s == pivot}
            for source in into:
                for target in out_of:
                    if source != target and (source, target) not in table:
                        route = self._pivot_route(source, target, direct)
                        if route is not None:
                            table[(source, target)] = route
        return table

    def _codes(self) -> set[str]:
        self._direct()
        return self._code_set

    def normalize_pair(self, source: str, target: str) -> tuple[str, str]:
        """Canonical codes, or `UnknownLanguage` for a code no table and no engine knows."""
        codes = self._codes()
        return normalize(source, codes), normalize(target, codes)

    def route_for(self, source: str, target: str) -> Route:
        """The route, or `UnknownLanguage` / `UnsupportedPair` saying why there is none."""
        source, target = self.normalize_pair(source, target)
        route = self._route(source, target)
        if route is None:
            raise UnsupportedPair(source, target, self.pairs())
        return route

    def backend_for(self, source: str, target: str) -> Translator:
        """The backend of a direct route (the first hop's of a pivot route)."""
        return self.route_for(source, target).hops[0].backend

    def engine_for(self, source: str, target: str) -> str:
        source, target = self.normalize_pair(source, target)
        if source == target:
            return IDENTITY
        return self.route_for(source, target).engine_id()

    def translate_with_engine(self, texts: Sequence[str], source: str, target: str) -> tuple[list[str], str]:
        source, target = self.normalize_pair(source, target)
        if source == target:
            return list(texts), IDENTITY
        route = self.route_for(source, target)
        return route.translate(texts), route.engine_id()

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        return self.translate_with_engine(texts, source, target)[0]
