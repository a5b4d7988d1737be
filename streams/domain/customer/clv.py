"""BG/NBD (purchase counts) and Gamma-Gamma (spend per order): closed forms and maximum-likelihood fits.

Pure computation on numpy arrays, with scipy's special functions and optimiser. The notation is Fader,
Hardie and Lee, "Counting your customers the easy way" (Marketing Science 24(2), 2005) and Fader and
Hardie, "The Gamma-Gamma model of monetary value" (2013):

- ``x``: repeat purchases (orders after the first), ``t_x``: time from the first order to the last,
  ``T``: time from the first order to now, all in one time unit (the engine uses days, the papers weeks);
- BG/NBD: while alive a customer buys at a Poisson rate ``lambda ~ Gamma(r, alpha)`` and after each
  purchase drops out with probability ``p ~ Beta(a, b)``;
- Gamma-Gamma: a customer's order values are Gamma(p, nu) with ``nu ~ Gamma(q, gamma)``, independent of
  the purchase process; ``m`` is the mean of a customer's ``n`` order values.

Every function takes scalars or arrays and broadcasts. Nothing here reads a clock or draws a random number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

__all__ = [
    "BgNbdFit",
    "GammaGammaFit",
    "bgnbd_expected_in",
    "bgnbd_log_likelihood",
    "bgnbd_p_alive",
    "bgnbd_p_order_in",
    "bgnbd_unconditional_expected",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "gamma_gamma_expected_value",
    "gamma_gamma_log_likelihood",
]

Floats = NDArray[np.float64]


def _f(values: ArrayLike) -> Floats:
    return np.asarray(values, dtype=np.float64)


@dataclass(frozen=True)
class BgNbdFit:
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    customers: int
    converged: bool


@dataclass(frozen=True)
class GammaGammaFit:
    p: float
    q: float
    gamma: float
    log_likelihood: float
    customers: int
    converged: bool


def _log_alive_odds(r: float, alpha: float, a: float, b: float, x: Floats, t_x: Floats, T: Floats) -> Floats:
    """log of a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x) for x > 0; -inf for x == 0 (no repeat: alive)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = np.log(a) - np.log(b + x - 1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.where(x > 0, odds, -np.inf)


def bgnbd_log_likelihood(
    r: float, alpha: float, a: float, b: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> Floats:
    """Each customer's log-likelihood of (x, t_x, T) under BG/NBD (FHL 2005, equation 6)."""
    xs, txs, Ts = _f(x), _f(t_x), _f(T)
    head = (
        special.gammaln(r + xs)
        - special.gammaln(r)
        + r * np.log(alpha)
        + special.betaln(a, b + xs)
        - special.betaln(a, b)
    )
    dead_after_last = np.log(a) - np.log(np.maximum(b + xs - 1, 1e-300)) - (r + xs) * np.log(alpha + txs)
    alive = -(r + xs) * np.log(alpha + Ts)
    tail = np.where(xs > 0, np.logaddexp(alive, np.where(xs > 0, dead_after_last, -np.inf)), alive)
    return _f(head + tail)


def bgnbd_p_alive(r: float, alpha: float, a: float, b: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> Floats:
    """P(still alive at T | x, t_x, T) (FHL 2005, equation 11); 1 without a repeat purchase."""
    odds = _log_alive_odds(r, alpha, a, b, _f(x), _f(t_x), _f(T))
    return _f(special.expit(-odds))


def bgnbd_p_order_in(
    r: float, alpha: float, a: float, b: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike, t: ArrayLike
) -> Floats:
    """P(at least one purchase in (T, T+t] | x, t_x, T).

    Alive at T, the rate's posterior is Gamma(r+x, alpha+T) whatever p is (a drop-out happens at a
    purchase, so a living customer's next purchase is the Poisson's), and no purchase in t has
    probability E[exp(-lambda t)] = ((alpha+T)/(alpha+T+t))^(r+x); dead, none at all.
    """
    xs, Ts, ts = _f(x), _f(T), _f(t)
    quiet = np.exp((r + xs) * (np.log(alpha + Ts) - np.log(alpha + Ts + ts)))
    return _f(bgnbd_p_alive(r, alpha, a, b, xs, t_x, Ts) * (1 - quiet))


def bgnbd_expected_in(
    r: float, alpha: float, a: float, b: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike, t: ArrayLike
) -> Floats:
    """E[purchases in (T, T+t] | x, t_x, T] (FHL 2005, equation 10)."""
    xs, txs, Ts, ts = _f(x), _f(t_x), _f(T), _f(t)
    z = ts / (alpha + Ts + ts)
    hyp = special.hyp2f1(r + xs, b + xs, a + b + xs - 1, z)
    ratio = np.exp((r + xs) * (np.log(alpha + Ts) - np.log(alpha + Ts + ts)))
    numerator = (a + b + xs - 1) / (a - 1) * (1 - ratio * hyp)
    return _f(numerator * bgnbd_p_alive(r, alpha, a, b, xs, txs, Ts))


def bgnbd_unconditional_expected(r: float, alpha: float, a: float, b: float, t: ArrayLike) -> Floats:
    """E[X(t)]: repeat purchases of a new customer in t (FHL 2005, equation 9)."""
    ts = _f(t)
    hyp = special.hyp2f1(r, b, a + b - 1, ts / (alpha + ts))
    return _f((a + b - 1) / (a - 1) * (1 - np.power(alpha / (alpha + ts), r) * hyp))


def _minimise(objective: object, starts: list[Floats]) -> tuple[Floats, float, bool]:
    best: tuple[Floats, float, bool] | None = None
    for start in starts:
        result = optimize.minimize(objective, start, method="L-BFGS-B", bounds=[(-12.0, 12.0)] * len(start))
        value = float(result.fun)
        if np.isfinite(value) and (best is None or value < best[1]):
            best = (_f(result.x), value, bool(result.success))
    if best is None:
        raise ValueError("the likelihood is not finite at any starting point")
    return best


def fit_bgnbd(x: ArrayLike, t_x: ArrayLike, T: ArrayLike, penalty: float = 0.0) -> BgNbdFit:
    """Maximum-likelihood (r, alpha, a, b) over customers; ``penalty`` adds an L2 shrink on the log parameters.

    Times are rescaled so the longest ``T`` is 10 before optimising (alpha scales back), and the optimiser
    starts from a few points and keeps the best.
    """
    xs, txs, Ts = _f(x), _f(t_x), _f(T)
    if xs.size == 0:
        raise ValueError("no customers to fit")
    scale = max(float(Ts.max()) / 10.0, 1e-9)
    txs_s, Ts_s = txs / scale, Ts / scale

    def objective(theta: Floats) -> float:
        r, alpha, a, b = np.exp(theta)
        ll = bgnbd_log_likelihood(r, alpha, a, b, xs, txs_s, Ts_s)
        value = -float(ll.sum()) / xs.size + penalty * float(theta @ theta)
        return value if np.isfinite(value) else 1e12

    starts = [np.log(_f(s)) for s in ((1.0, 1.0, 1.0, 1.0), (0.3, 3.0, 0.8, 2.5), (2.0, 10.0, 0.5, 5.0))]
    theta, _, converged = _minimise(objective, starts)
    r, alpha_s, a, b = (float(v) for v in np.exp(theta))
    alpha = alpha_s * scale
    total = float(bgnbd_log_likelihood(r, alpha, a, b, xs, txs, Ts).sum())
    return BgNbdFit(r, alpha, a, b, total, int(xs.size), converged)


def gamma_gamma_log_likelihood(p: float, q: float, gamma: float, n: ArrayLike, m: ArrayLike) -> Floats:
    """Each customer's log-likelihood of the mean ``m`` of ``n`` order values (Fader-Hardie 2013, eq. 3)."""
    ns, ms = _f(n), _f(m)
    return _f(
        special.gammaln(p * ns + q)
        - special.gammaln(p * ns)
        - special.gammaln(q)
        + q * np.log(gamma)
        + (p * ns - 1) * np.log(ms)
        + p * ns * np.log(ns)
        - (p * ns + q) * np.log(ns * ms + gamma)
    )


def fit_gamma_gamma(n: ArrayLike, m: ArrayLike, penalty: float = 0.0) -> GammaGammaFit:
    """Maximum-likelihood (p, q, gamma) from customers with n >= 1 orders of mean value m > 0.

    Values are rescaled by their mean before optimising (gamma scales back), so any currency fits alike.
    """
    ns, ms = _f(n), _f(m)
    keep = (ns >= 1) & (ms > 0)
    ns, ms = ns[keep], ms[keep]
    if ns.size == 0:
        raise ValueError("no customers with a positive order value")
    scale = float(ms.mean())
    ms_s = ms / scale

    def objective(theta: Floats) -> float:
        p, q, gamma = np.exp(theta)
        value = -float(gamma_gamma_log_likelihood(p, q, gamma, ns, ms_s).sum()) / ns.size
        value += penalty * float(theta @ theta)
        return value if np.isfinite(value) else 1e12

    starts = [np.log(_f(s)) for s in ((1.0, 2.0, 1.0), (5.0, 4.0, 3.0), (2.0, 10.0, 10.0))]
    theta, _, converged = _minimise(objective, starts)
    p, q, gamma_s = (float(v) for v in np.exp(theta))
    gamma = gamma_s * scale
    total = float(gamma_gamma_log_likelihood(p, q, gamma, ns, ms).sum())
    return GammaGammaFit(p, q, gamma, total, int(ns.size), converged)


def gamma_gamma_expected_value(p: float, q: float, gamma: float, n: ArrayLike, m: ArrayLike) -> Floats:
    """E[order value | n orders of mean m] (Fader-Hardie 2013, eq. 5); the shop's p*gamma/(q-1) for n == 0."""
    ns, ms = _f(n), _f(m)
    if q <= 1:
        return _f(np.where(ns > 0, ms, np.nan))
    return _f((gamma + ns * ms) * p / (p * ns + q - 1))
