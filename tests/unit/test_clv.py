"""BG/NBD and Gamma-Gamma (``streams.domain.customer.clv``): the closed forms against published values and
numerical integration, and the maximum-likelihood fits against the parameters that generated the data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from streams.domain.customer import clv

# Fader, Hardie and Lee (2005), CDNOW, in weeks: the published MLE, and values of their spreadsheet
# (as the lifetimes package's tests quote them).
CDNOW = (0.243, 4.414, 0.793, 2.426)


def test_conditional_expectation_matches_the_cdnow_spreadsheet() -> None:
    # a customer with 2 repeat purchases, the last at 30.43 weeks, observed for 38.86 weeks: 39 weeks ahead
    assert clv.bgnbd_expected_in(*CDNOW, 2, 30.43, 38.86, 39) == pytest.approx(1.226, abs=0.002)


def test_unconditional_expectation_matches_the_cdnow_spreadsheet() -> None:
    times = [0.1429, 1.0, 3.0, 31.8571, 32.0, 78.0]
    expected = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576]
    assert clv.bgnbd_unconditional_expected(*CDNOW, times) == pytest.approx(expected, abs=0.003)


def test_p_alive_is_one_without_repeats_and_falls_with_silence() -> None:
    alive = clv.bgnbd_p_alive(*CDNOW, [0, 2, 2, 2], [0, 30.43, 20, 5], [38.86] * 4)
    assert alive[0] == 1.0
    assert 1 > alive[1] > alive[2] > alive[3] > 0


def _likelihood_by_integration(r: float, alpha: float, a: float, b: float, x: int, t_x: float, T: float) -> float:
    """The BG/NBD likelihood integrated over lambda and p (the model's definition, not its closed form):
    Gauss-Legendre on lambda = u**4 * 5 and p = v**2 (substitutions that smooth the densities at 0)."""
    nodes, weights = np.polynomial.legendre.leggauss(300)
    u, wu = (nodes + 1) / 2, weights / 2
    lam, dlam = 5 * u**4, 20 * u**3 * wu
    p, dp = u**2, 2 * u * wu
    L, P = np.meshgrid(lam, p, indexing="ij")
    alive = (1 - P) ** x * L**x * np.exp(-L * T)
    dead = P * (1 - P) ** (x - 1) * L**x * np.exp(-L * t_x) if x > 0 else 0.0
    density = stats.gamma.pdf(L, r, scale=1 / alpha) * stats.beta.pdf(P, a, b)
    return float(np.einsum("i,ij,j->", dlam, (alive + dead) * density, dp))


@pytest.mark.parametrize(("x", "t_x", "T"), [(0, 0.0, 20.0), (1, 5.0, 30.0), (3, 25.0, 38.0)])
def test_log_likelihood_equals_the_integral_it_closes(x: int, t_x: float, T: float) -> None:
    params = (1.2, 8.0, 1.5, 3.0)
    closed = float(clv.bgnbd_log_likelihood(*params, x, t_x, T))
    assert closed == pytest.approx(math.log(_likelihood_by_integration(*params, x, t_x, T)), abs=1e-3)


def test_p_order_in_agrees_with_the_expectation_for_a_short_window() -> None:
    # for a short window at most one purchase is likely: P(any) ~ E[count]
    p = clv.bgnbd_p_order_in(*CDNOW, 2, 30.43, 38.86, 0.01)
    e = clv.bgnbd_expected_in(*CDNOW, 2, 30.43, 38.86, 0.01)
    assert p == pytest.approx(e, rel=1e-2)


def _bgnbd_customers(
    r: float, alpha: float, a: float, b: float, n: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, t_x, T) of n customers drawn from BG/NBD, each watched for 30-365 days after the first order."""
    rng = np.random.default_rng(seed)
    rates = rng.gamma(r, 1 / alpha, n)
    drops = rng.beta(a, b, n)
    watched = rng.uniform(30, 365, n)
    x, t_x = np.zeros(n), np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1 / rates[i])
            if t > watched[i]:
                break
            x[i], t_x[i] = x[i] + 1, t
            if rng.random() < drops[i]:
                break
    return x, t_x, watched


def test_fit_recovers_the_parameters_that_generated_the_data() -> None:
    truth = (0.8, 40.0, 1.0, 4.0)
    fit = clv.fit_bgnbd(*_bgnbd_customers(*truth, n=5000, seed=11))
    r, alpha, a, b = truth
    assert fit.r == pytest.approx(r, rel=0.15)
    assert fit.r / fit.alpha == pytest.approx(r / alpha, rel=0.10)  # the mean purchase rate per day
    assert fit.a / (fit.a + fit.b) == pytest.approx(a / (a + b), rel=0.20)  # the mean drop-out probability
    assert fit.customers == 5000


def test_fit_is_at_a_maximum() -> None:
    x, t_x, T = _bgnbd_customers(0.8, 40.0, 1.0, 4.0, n=800, seed=3)
    fit = clv.fit_bgnbd(x, t_x, T)
    best = clv.bgnbd_log_likelihood(fit.r, fit.alpha, fit.a, fit.b, x, t_x, T).sum()
    assert best == pytest.approx(fit.log_likelihood)
    for nudge in (0.9, 1.1):
        assert clv.bgnbd_log_likelihood(fit.r * nudge, fit.alpha, fit.a, fit.b, x, t_x, T).sum() < best
        assert clv.bgnbd_log_likelihood(fit.r, fit.alpha * nudge, fit.a, fit.b, x, t_x, T).sum() < best


def test_gamma_gamma_recovers_its_parameters_in_any_currency() -> None:
    p, q, gamma = 6.25, 3.74, 15.44  # Fader-Hardie 2013, CDNOW (dollars)
    rng = np.random.default_rng(5)
    n = rng.integers(1, 8, 2500)
    nu = rng.gamma(q, 1 / gamma, n.size)
    means = np.array([rng.gamma(p, 1 / v, k).mean() for v, k in zip(nu, n, strict=True)])
    fit = clv.fit_gamma_gamma(n, means)
    assert fit.p == pytest.approx(p, rel=0.2)
    assert fit.p * fit.gamma / (fit.q - 1) == pytest.approx(p * gamma / (q - 1), rel=0.1)  # the mean order value
    in_yuan = clv.fit_gamma_gamma(n, means * 7.1)
    assert in_yuan.gamma == pytest.approx(fit.gamma * 7.1, rel=1e-3)
    assert in_yuan.p == pytest.approx(fit.p, rel=1e-3)


def test_gamma_gamma_expected_value_shrinks_a_customer_towards_the_shop() -> None:
    p, q, gamma = 6.25, 3.74, 15.44
    shop = p * gamma / (q - 1)
    few, many = clv.gamma_gamma_expected_value(p, q, gamma, [1, 20], [100.0, 100.0])
    assert shop < few < many < 100
    assert clv.gamma_gamma_expected_value(p, q, gamma, 0, 0.0) == pytest.approx(shop)
