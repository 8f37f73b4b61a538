"""The raw-table rows of one simulated block: appended day by day, assembled once at the end.

Columns follow features/contract/schema.py; each method records one kind of event for the
subscribers at the given block indexes and draws only the details (times of day, channels,
categories).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from features.synthetic import hazard as L
from features.synthetic import personas as P

USAGE = ("subscriber_id", "day", "voice_out_calls", "voice_out_min", "voice_in_min", "sms_out",
         "data_mb", "revenue_vnd", "dropped_calls", "roaming")  # fmt: skip
EVENTS = ("subscriber_id", "ts", "event", "detail")
RECHARGES = ("subscriber_id", "ts", "amount_vnd", "channel")
CARE = ("subscriber_id", "ts", "channel", "category", "resolved")
INVOICES = ("subscriber_id", "bill_month", "issue_date", "amount_vnd", "due_date", "paid_date")
CAMPAIGNS = ("subscriber_id", "campaign_id", "sent_ts", "offer_id", "group", "accepted",
             "cost_vnd")  # fmt: skip
OTHER_CARE = ("billing", "package", "device", "other")


class BlockRows:
    def __init__(self, start: date, lat: L.Latent, rng: np.random.Generator) -> None:
        self.day0 = np.datetime64(start, "D")
        self.lat = lat
        self.rng = rng
        self.parts: dict[str, list[tuple]] = {
            k: [] for k in ("usage", "events", "recharges", "care", "invoices", "campaigns")
        }

    def _ts(self, days: np.ndarray | int, n: int, lo_hour: int = 6, hi_hour: int = 23):
        seconds = self.rng.integers(lo_hour * 3600, hi_hour * 3600, n)
        d = self.day0 + np.broadcast_to(np.asarray(days), (n,)).astype("timedelta64[D]")
        return d.astype("datetime64[s]") + seconds.astype("timedelta64[s]")

    def _event(self, t: int, idx: np.ndarray, event, detail) -> None:
        if len(idx):
            k = len(idx)
            self.parts["events"].append(
                (
                    self.lat.ids[idx],
                    self._ts(t, k),
                    np.broadcast_to(np.asarray(event, object), k),
                    np.broadcast_to(np.asarray(detail, object), k),
                )  # fmt: skip
            )

    def activations(self, plans: np.ndarray) -> None:
        n = len(self.lat)
        self.parts["events"].append(
            (
                self.lat.ids,
                self._ts(self.lat.act_offset, n),
                np.full(n, "activation", dtype=object),
                plans,
            )  # fmt: skip
        )

    def exits(self, t: int, idx: np.ndarray, postpaid: np.ndarray) -> None:
        share = np.where(postpaid[idx], L.PORT_OUT_SHARE["postpaid"], L.PORT_OUT_SHARE["prepaid"])
        port = self.rng.random(len(idx)) < share
        self._event(t, idx[port], "port_out", "competitor")
        self._event(t, idx[~port], "termination", "customer_request")

    def idle_terminations(self, t: int, idx: np.ndarray) -> None:
        self._event(t, idx, "termination", f"inactivity_{L.INACTIVITY_TERMINATION_DAYS}d")

    def plan_changes(self, t: int, idx: np.ndarray, leaving: np.ndarray) -> None:
        if not len(idx):
            return
        plans = np.array(
            [self.rng.choice(P.PERSONAS[k].plans + ("PRE_DATA",)) for k in self.lat.persona[idx]],
            dtype=object,
        )
        post = self.lat.postpaid[idx]
        plans[post] = self.rng.choice(P.POSTPAID_PLANS, int(post.sum()))
        down = leaving[idx]
        plans[down] = np.where(post[down], "POST_S", "PRE_BASIC")
        self._event(t, idx, "plan_change", plans)

    def packages(self, t: int, idx: np.ndarray) -> None:
        self._event(t, idx, "package_purchase", "DATA_70K")

    def recharges(self, t: int, top: np.ndarray, amount: np.ndarray, lend: np.ndarray) -> None:
        if len(top):
            chan = self.rng.choice(P.RECHARGE_CHANNELS, len(top), p=[0.45, 0.35, 0.2])
            self.parts["recharges"].append((self.lat.ids[top], self._ts(t, len(top)), amount, chan))
        if len(lend):
            k = len(lend)
            self.parts["recharges"].append(
                (
                    self.lat.ids[lend],
                    self._ts(t, k),
                    np.full(k, P.AIRTIME_LOAN_VND, np.int64),
                    np.full(k, "airtime_loan", dtype=object),
                )  # fmt: skip
            )

    def usage(self, t, idx, calls, vmin, vin, nsms, mb, revenue, dropped) -> None:
        m = len(idx)
        roaming = self.rng.random(m) < 0.004
        self.parts["usage"].append(
            (
                self.lat.ids[idx],
                np.full(m, t, dtype=np.int32),
                calls,
                vmin,
                vin,
                nsms,
                mb,
                revenue,
                np.minimum(dropped, calls),
                roaming,
            )  # fmt: skip
        )

    def care(self, t: int, idx: np.ndarray, leaving: np.ndarray, dissat: np.ndarray):
        """Record care contacts; return which were left unresolved."""
        k = len(idx)
        if not k:
            return np.zeros(0, dtype=bool)
        cat = np.where(
            leaving & (self.rng.random(k) < 0.45),
            "port_out_inquiry",
            np.where(dissat > 0.5, "network", self.rng.choice(OTHER_CARE, k)),
        ).astype(object)
        resolved = self.rng.random(k) < np.where(cat == "network", 0.5, 0.75)
        chan = self.rng.choice(P.CARE_CHANNELS, k, p=[0.5, 0.2, 0.2, 0.1])
        self.parts["care"].append((self.lat.ids[idx], self._ts(t, k, 7, 22), chan, cat, resolved))
        return ~resolved

    def invoices(self, today: date, who, leaving: np.ndarray, month_rev, n_days: int) -> None:
        """Bill last month; a payment after the end of the data is not known yet (null)."""
        idx = np.flatnonzero(who)
        k = len(idx)
        if not k:
            return
        issue = np.datetime64(today, "D") + 1
        due = issue + 20
        late = self.rng.random(k) < 0.08 + 0.5 * leaving[idx]
        unpaid = leaving[idx] & (self.rng.random(k) < 0.4)
        paid = np.where(
            late, due + self.rng.integers(1, 40, k), issue + self.rng.integers(1, 20, k)
        )
        unpaid |= paid >= self.day0 + n_days
        paid = np.where(unpaid, np.datetime64("NaT"), paid.astype("datetime64[D]"))
        month = np.datetime64(today.replace(day=1), "D")
        self.parts["invoices"].append(
            (
                self.lat.ids[idx],
                np.full(k, month),
                np.full(k, issue),
                month_rev[idx].copy(),
                np.full(k, due),
                paid,
            )  # fmt: skip
        )

    def campaign(self, today: date, sent: dict[str, np.ndarray]) -> None:
        idx, offer, accepted = sent["index"], sent["offer"], sent["accepted"]
        k = len(idx)
        cost = np.array([o.cost_vnd for o in P.OFFERS], dtype=np.int64)[offer]
        sent_ts = np.datetime64(today, "s") + np.int64(9 * 3600)
        self.parts["campaigns"].append(
            (
                self.lat.ids[idx],
                np.full(k, f"RET-{today:%Y%m}", dtype=object),
                np.full(k, sent_ts),
                np.array([P.OFFERS[o].offer_id for o in offer], dtype=object),
                np.where(sent["treated"], "treatment", "control").astype(object),
                accepted,
                np.where(accepted, cost, 0),
            )  # fmt: skip
        )

    def _frame(self, key: str, cols: tuple[str, ...]) -> pd.DataFrame:
        parts = self.parts[key]
        return pd.DataFrame(
            {c: np.concatenate([p[i] for p in parts]) if parts else [] for i, c in enumerate(cols)}
        )

    def frames(self, plans: np.ndarray) -> dict[str, pd.DataFrame]:
        lat, n = self.lat, len(self.lat)
        names = np.array([p for p, _, _ in P.PROVINCES], dtype=object)
        regions = np.array([r for _, r, _ in P.PROVINCES], dtype=object)
        subscribers = pd.DataFrame(
            {
                "subscriber_id": lat.ids,
                "activation_date": self.day0 + lat.act_offset.astype("timedelta64[D]"),
                "contract_type": np.where(lat.postpaid, "postpaid", "prepaid"),
                "tariff_plan": plans,
                "province": names[lat.province],
                "region": regions[lat.province],
                "customer_type": np.where(lat.persona == 3, "business", "individual"),
                "device_type": [self.rng.choice(P.PERSONAS[k].devices) for k in lat.persona],
                "age_band": self.rng.choice(P.AGE_BANDS, n, p=[0.18, 0.3, 0.24, 0.16, 0.12]),
                "acquisition_channel": self.rng.choice(
                    P.ACQUISITION_CHANNELS, n, p=[0.35, 0.4, 0.15, 0.1]
                ),
            }
        )
        usage = self._frame("usage", USAGE)
        usage["date"] = self.day0 + usage.pop("day").to_numpy(np.int64).astype("timedelta64[D]")
        by_sub_time = {"kind": "stable"}
        return {
            "subscribers": subscribers,
            "usage_daily": usage.sort_values(["subscriber_id", "date"], **by_sub_time),
            "recharges": self._frame("recharges", RECHARGES).sort_values(
                ["subscriber_id", "ts"], **by_sub_time
            ),
            "invoices": self._frame("invoices", INVOICES).sort_values(
                ["subscriber_id", "bill_month"], **by_sub_time
            ),
            "care_contacts": self._frame("care", CARE).sort_values(
                ["subscriber_id", "ts"], **by_sub_time
            ),
            "subscription_events": self._frame("events", EVENTS).sort_values(
                ["subscriber_id", "ts"], **by_sub_time
            ),
            "campaigns": self._frame("campaigns", CAMPAIGNS),
        }
