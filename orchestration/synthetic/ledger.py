"""URSSAF side of the economy: contributions due and paid, and the ECN debt ledger.

Each month t settles the contributions of the period that just ended (month t-1, or the quarter
ending in t-1 for small accounts). What is not paid on time becomes an écart négatif (ECN): called
for collection (operation 1) between the 6th and the 20th of t, then paid down (operation 2),
written off after a liquidation or a closure (3 or 5), sometimes with a surcharge waiver (4).
All operations of month t are dated in the URSSAF delivery window (21st of t-1 .. 20th of t).
Payment behaviour follows the company's latent health, so debts build up before failures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from orchestration.synthetic.population import Population
from orchestration.synthetic.timeline import Timeline, month_index

OP_CALL, OP_PAYMENT, OP_WRITE_OFF, OP_WAIVER, OP_CANCEL_BALANCE = 1, 2, 3, 4, 5
# Procedure code of the account (Cd_pro_col): none, proceedings in progress, plan in progress.
PROCOL_NONE, PROCOL_OPEN, PROCOL_PLAN = 0, 1, 2


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


class _Growable:
    """Column arrays that grow by appending (capacity doubling)."""

    def __init__(self, dtypes: dict[str, str]) -> None:
        self.size = 0
        self.data = {name: np.zeros(1024, dtype=dtype) for name, dtype in dtypes.items()}

    def append(self, **columns: np.ndarray) -> np.ndarray:
        n = len(next(iter(columns.values())))
        need = self.size + n
        capacity = len(next(iter(self.data.values())))
        if need > capacity:
            new = max(need, 2 * capacity)
            for name, array in self.data.items():
                grown = np.zeros(new, dtype=array.dtype)
                grown[: self.size] = array[: self.size]
                self.data[name] = grown
        for name, values in columns.items():
            self.data[name][self.size : need] = values
        ids = np.arange(self.size, need)
        self.size = need
        return ids

    def __getitem__(self, name: str) -> np.ndarray:
        return self.data[name][: self.size]


@dataclass
class MonthLedger:
    """What month t produced, for the writers."""

    # ECN history lines
    op_ecn: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    op_hist: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    op_day: np.ndarray = field(default_factory=lambda: np.zeros(0, "datetime64[D]"))
    op_po: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    op_pp: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    op_code: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    op_etat: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    op_procol: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    # contributions settled this month (cents)
    c_account: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    c_period: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # first month t
    c_months: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    c_due: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    c_paid: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    c_called: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    # yearly regularisations (period XY = 62 of the previous year)
    r_account: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    r_year: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    r_amount: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


class Ledger:
    def __init__(
        self,
        population: Population,
        timeline: Timeline,
        rng: np.random.Generator,
        covid_sensitivity: np.ndarray,
    ) -> None:
        self.pop = population
        self.timeline = timeline
        self.rng = rng
        accounts = population.accounts
        self.n_accounts = len(accounts)
        self.po_share = rng.uniform(0.20, 0.30, self.n_accounts)
        self.quarter_due = np.zeros(self.n_accounts, np.int64)
        self.year_due = np.zeros(self.n_accounts, np.int64)
        self.last_year_due = np.zeros(self.n_accounts, np.int64)
        self.covid = covid_sensitivity[population.companies.section[accounts.company]]
        self.ecn = _Growable(
            {
                "account": "int32",
                "period": "int32",
                "months": "int8",
                "num": "int16",
                "po": "int64",
                "pp": "int64",
                "hist": "int16",
                "motif": "int8",
                "recours": "bool",
                "open": "bool",
                "created": "int32",
            }
        )
        self.month = MonthLedger()
        months = np.arange(timeline.n_months) + timeline.sim_start
        self.deferral = np.zeros(timeline.n_months)
        for first, last, level in (
            ("2020-03", "2020-06", 2.8),
            ("2020-07", "2020-10", 0.8),
            ("2020-11", "2021-04", 1.5),
            ("2021-05", "2021-08", 0.5),
        ):
            self.deferral[(months >= month_index(first)) & (months <= month_index(last))] = level
        self.slow_repayment = (months >= month_index("2020-03")) & (months <= month_index("2021-06"))

    # -------------------------------------------------------------------------------------------
    def step(
        self,
        t: int,
        payroll: np.ndarray,
        account_open: np.ndarray,
        health: np.ndarray,
        insolvent: np.ndarray,
        procol: np.ndarray,
        write_off: np.ndarray,
    ) -> MonthLedger:
        """Settle month t.

        payroll: gross payroll (cents) of each account for month t-1; account_open: accounts still
        registered; health: latent health of each company at t; insolvent: companies liquidated or
        sold, which pay nothing; procol: Cd_pro_col of each company at t; write_off: companies whose
        remaining debts are written off this month.
        """
        rng = self.rng
        accounts = self.pop.accounts
        month = MonthLedger()
        company = accounts.company
        x = health[company]
        code = procol[company]
        due = (
            np.rint(payroll * accounts.rate).astype(np.int64)
            if t > 0
            else np.zeros(self.n_accounts, np.int64)
        )
        calendar = (self.timeline.sim_start + t - 1) % 12

        # Which periods are settled now: the month t-1, or the quarter ending in t-1.
        self.quarter_due += np.where(accounts.quarterly, due, 0)
        self.year_due += due
        settle = ~accounts.quarterly & (due > 0)
        period = np.full(self.n_accounts, t - 1)
        months = np.ones(self.n_accounts, np.int8)
        amount = np.where(accounts.quarterly, 0, due)
        if calendar % 3 == 2 and t >= 3:
            quarter = accounts.quarterly & (self.quarter_due > 0)
            settle |= quarter
            period = np.where(accounts.quarterly, t - 3, period)
            months = np.where(accounts.quarterly, 3, months).astype(np.int8)
            amount = np.where(accounts.quarterly, self.quarter_due, amount)
        if calendar % 3 == 2:
            self.quarter_due[:] = 0
        if calendar == 11:
            self.last_year_due, self.year_due = self.year_due, np.zeros(self.n_accounts, np.int64)

        # Payment on time: weak companies default, State deferrals in 2020-2021, nothing after the end.
        idx = np.nonzero(settle)[0]
        z = -4.0 - 2.5 * x[idx] + self.deferral[t] * self.covid[idx]
        default = (rng.random(len(idx)) < _sigmoid(z)) | insolvent[company[idx]]
        share = np.where(rng.random(len(idx)) < 0.45, 0.0, rng.uniform(0.1, 0.9, len(idx)))
        paid = np.where(default, np.floor(amount[idx] * share), amount[idx]).astype(np.int64)
        unpaid = amount[idx] - paid
        month.c_account, month.c_period, month.c_months = idx, period[idx], months[idx]
        month.c_due, month.c_paid, month.c_called = amount[idx], paid, unpaid

        ops: list[tuple[np.ndarray, ...]] = []
        # Existing debts: repayments, frozen by proceedings, written off at the end.
        self._repay(t, x, code, account_open, ops)
        self._write_off(t, write_off, code, account_open, ops)

        # New ECNs for what was not paid (operation 1), and a few control adjustments (num 201).
        new = idx[unpaid > 0]
        if len(new):
            amount_new = unpaid[unpaid > 0]
            year = (self.timeline.sim_start + t) // 12
            nothing = paid[unpaid > 0] == 0
            motif = np.where(year >= 2019, np.where(nothing, 24, 25), np.where(nothing, 2, 9))
            motif = np.where(nothing & (x[new] < -2.5) & (rng.random(len(new)) < 0.3), 3, motif)
            motif = np.where(~default[unpaid > 0], 1, motif)
            self._call(
                t,
                new,
                period[new],
                months[new],
                101,
                amount_new,
                motif.astype(np.int8),
                rng.random(len(new)) < 0.01,
                account_open,
                code,
                ops,
            )
        control = np.nonzero(account_open & (rng.random(self.n_accounts) < 0.0003) & (due > 0))[0]
        if len(control) and t >= 3:
            amount_c = np.maximum(np.rint(due[control] * rng.uniform(0.02, 0.15, len(control))), 100).astype(
                np.int64
            )
            self._call(
                t,
                control,
                np.full(len(control), t - 3),
                np.ones(len(control), np.int8),
                201,
                amount_c,
                np.full(len(control), 5, np.int8),
                rng.random(len(control)) < 0.2,
                account_open,
                code,
                ops,
            )

        if calendar == 2:  # April deliveries carry a few yearly regularisations of the previous year
            reg = np.nonzero(account_open & (self.last_year_due > 0) & (rng.random(self.n_accounts) < 0.03))[
                0
            ]
            sign = np.where(rng.random(len(reg)) < 0.8, -1, 1)
            month.r_account = reg
            month.r_year = np.full(len(reg), (self.timeline.sim_start + t) // 12 - 1)
            month.r_amount = (
                sign * np.rint(self.last_year_due[reg] * rng.uniform(0.005, 0.03, len(reg)))
            ).astype(np.int64)

        if ops:
            columns = list(zip(*ops, strict=True))
            (
                month.op_ecn,
                month.op_hist,
                month.op_day,
                month.op_po,
                month.op_pp,
                month.op_code,
                month.op_etat,
                month.op_procol,
            ) = (np.concatenate(c) for c in columns)
            order = np.lexsort((month.op_hist, month.op_day))
            for name in ("op_ecn", "op_hist", "op_day", "op_po", "op_pp", "op_code", "op_etat", "op_procol"):
                setattr(month, name, getattr(month, name)[order])
        self.month = month
        return month

    # -------------------------------------------------------------------------------------------
    def _call(
        self,
        t: int,
        account: np.ndarray,
        period: np.ndarray,
        months: np.ndarray,
        num: int,
        amount: np.ndarray,
        motif: np.ndarray,
        recours: np.ndarray,
        account_open: np.ndarray,
        code: np.ndarray,
        ops: list,
    ) -> None:
        po = np.rint(amount * self.po_share[account]).astype(np.int64)
        pp = amount - po
        n = len(account)
        ids = self.ecn.append(
            account=account,
            period=period,
            months=months,
            num=np.full(n, num),
            po=po,
            pp=pp,
            hist=np.ones(n),
            motif=motif,
            recours=recours,
            open=np.ones(n, bool),
            created=np.full(n, t),
        )
        days = self.timeline.random_days(self.rng, np.full(n, t), 6, 20)
        ops.append(
            (
                ids,
                np.ones(n, np.int32),
                days,
                po,
                pp,
                np.full(n, OP_CALL, np.int8),
                np.where(account_open[account], 1, 3).astype(np.int8),
                code[account].astype(np.int8),
            )
        )

    def _open_ecns(self, t: int) -> np.ndarray:
        return np.nonzero(self.ecn["open"] & (self.ecn["created"] < t))[0]

    def _repay(self, t: int, x: np.ndarray, code: np.ndarray, account_open: np.ndarray, ops: list) -> None:
        rng = self.rng
        ids = self._open_ecns(t)
        if not len(ids):
            return
        account = self.ecn["account"][ids]
        order = np.argsort(account, kind="stable")  # creation order kept within an account
        ids, account = ids[order], account[order]
        balance = self.ecn["po"][ids] + self.ecn["pp"][ids]
        owners, first = np.unique(account, return_index=True)
        sizes = np.diff(np.r_[first, len(ids)])
        outstanding = np.add.reduceat(balance, first)
        xo, codes = x[owners], code[owners]
        rate = _sigmoid(0.5 + 1.3 * xo) * np.where(self.slow_repayment[t], 0.4, 1.0)
        rate = np.where(codes == PROCOL_OPEN, 0.0, np.where(codes == PROCOL_PLAN, 0.6, rate))
        pays = rng.random(len(owners)) < rate
        fraction = np.where(rng.random(len(owners)) < 0.5, 1.0, rng.uniform(0.2, 0.8, len(owners)))
        fraction = np.where(codes == PROCOL_PLAN, rng.uniform(0.02, 0.08, len(owners)), fraction)
        budget = np.where(pays, np.ceil(outstanding * fraction), 0).astype(np.int64)
        # Oldest ECNs first.
        cumulative = np.cumsum(balance)
        before = cumulative - balance - np.repeat(cumulative[first] - balance[first], sizes)
        applied = np.clip(np.repeat(budget, sizes) - before, 0, balance)
        touched = applied > 0
        if not touched.any():
            return
        ids, applied, balance = ids[touched], applied[touched], balance[touched]
        left = balance - applied
        po = np.rint(self.ecn["po"][ids] * left / balance).astype(np.int64)
        days = self.timeline.window_days(rng, np.full(len(ids), t))
        self._record(ids, po, left - po, OP_PAYMENT, days, account_open, code, ops)
        waiver = (left == 0) & (rng.random(len(ids)) < 0.03)
        if waiver.any():
            self._record(
                ids[waiver], po[waiver], (left - po)[waiver], OP_WAIVER, days[waiver], account_open, code, ops
            )

    def _write_off(
        self, t: int, companies: np.ndarray, code: np.ndarray, account_open: np.ndarray, ops: list
    ) -> None:
        if not companies.any():
            return
        ids = self._open_ecns(t)
        ids = ids[companies[self.pop.accounts.company[self.ecn["account"][ids]]]]
        if not len(ids):
            return
        zeros = np.zeros(len(ids), np.int64)
        op = np.where(self.rng.random(len(ids)) < 0.7, OP_WRITE_OFF, OP_CANCEL_BALANCE).astype(np.int8)
        days = np.full(len(ids), self.timeline.first_days[t] + np.timedelta64(19, "D"))
        self._record(ids, zeros, zeros, op, days, account_open, code, ops)

    def _record(
        self,
        ids: np.ndarray,
        po: np.ndarray,
        pp: np.ndarray,
        op: int | np.ndarray,
        days: np.ndarray,
        account_open: np.ndarray,
        code: np.ndarray,
        ops: list,
    ) -> None:
        """One more history line per ECN: the balance after the operation (PO and PP parts)."""
        hist = self.ecn["hist"][ids].astype(np.int32) + 1
        self.ecn.data["hist"][ids] = hist
        self.ecn.data["po"][ids] = po
        self.ecn.data["pp"][ids] = pp
        self.ecn.data["open"][ids] = (po + pp) > 0
        account = self.ecn["account"][ids]
        ops.append(
            (
                ids,
                hist,
                days,
                po,
                pp,
                np.broadcast_to(np.asarray(op, np.int8), ids.shape).copy(),
                np.where(account_open[account], 1, 3).astype(np.int8),
                code[account].astype(np.int8),
            )
        )
