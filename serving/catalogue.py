"""The offer catalogue: offers with their cost, channel and eligibility, contact costs and
channel capacities (`serving/offers.toml` by default, or the operator's own TOML)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path


@dataclass(frozen=True)
class Offer:
    offer_id: str
    description: str
    cost_vnd: int
    channel: str
    contract_types: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    capacity: int = 0  # per campaign; 0 = no cap


@dataclass(frozen=True)
class Catalogue:
    offers: tuple[Offer, ...]
    contact_cost_vnd: dict[str, int]
    channel_capacity: dict[str, int]

    def offer(self, offer_id: str) -> Offer:
        for o in self.offers:
            if o.offer_id == offer_id:
                return o
        raise KeyError(f"offer_id: '{offer_id}' is not in the catalogue")

    def total_cost(self, offer_id: str) -> int:
        o = self.offer(offer_id)
        return o.cost_vnd + self.contact_cost_vnd.get(o.channel, 0)

    @classmethod
    def from_toml(cls, path: Path | None = None) -> Catalogue:
        """Read a catalogue; without a path, the default shipped with Retain."""
        text = (
            Path(path).read_text() if path else files("serving").joinpath("offers.toml").read_text()
        )
        where = str(path or "serving/offers.toml")
        data = tomllib.loads(text)
        offers = []
        for i, d in enumerate(data.get("offer", [])):
            for key in ("offer_id", "cost_vnd", "channel"):
                if key not in d:
                    raise ValueError(f"{where}: offer[{i}].{key} is missing")
            if int(d["cost_vnd"]) < 0:
                raise ValueError(f"{where}: offer[{i}].cost_vnd must not be negative")
            offers.append(
                Offer(
                    offer_id=str(d["offer_id"]),
                    description=str(d.get("description", "")),
                    cost_vnd=int(d["cost_vnd"]),
                    channel=str(d["channel"]),
                    contract_types=tuple(d.get("contract_types", ())),
                    tiers=tuple(d.get("tiers", ())),
                    capacity=int(d.get("capacity", 0)),
                )
            )
        if not offers:
            raise ValueError(f"{where}: no [[offer]] entries")
        ids = [o.offer_id for o in offers]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{where}: offer_id values must be unique")
        return cls(
            tuple(offers),
            {k: int(v) for k, v in data.get("contact_cost_vnd", {}).items()},
            {k: int(v) for k, v in data.get("channel_capacity", {}).items()},
        )
