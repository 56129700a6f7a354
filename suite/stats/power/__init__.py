"""How often each decision rule is fooled, and how often it finds the calibrated effects,
simulated with the dependence the experiments have (DESIGN.md section 2, issue 10).

Every :class:`Case` draws synthetic data sets in the tidy format the claim hands its rule (a
dict of column arrays: one row per run, per seed or per evaluated epoch), calls the rule
exactly as ``suite/claims/*.py`` does (same columns and alphas; margins from
``suite.catalog.CLAIMS``) and counts the verdicts. The data of all draws are generated at once
(vectorized); the rule is called once per draw. A rule's ValueError counts as INCONCLUSIVE,
as in the claim. Grids come from the ci profile (``suite.profiles.CI``).

Kinds of rows (``python -m suite.stats.power [--draws N] [--power-draws M] [--seed S]``):

- false positive: the claim is false (no effect, or an effect exactly at its margin);
  P(SUPPORTED), required <= 0.05 (``ok`` allows two Monte-Carlo SEs: 0.064 at 1000 draws).
- false refutation: the claim holds at the calibration effect; P(REFUTED), required <= 0.05.
- power: P(SUPPORTED) at the calibration effect; required >= 0.90 at the seed count the ci
  profile trains for the experiment (``Profile.seeds_for``, read at run time), reported at 3
  and 5 seeds (and the paper profile's count). Stress variants are reported, not required.

Dependence scenarios (as named in the table):

- seed 0.3 / 0.6: a per-seed effect with that share of the variance. On a fixed grid (widths,
  batch size as x, fractions, epochs) it shifts the seed's whole curve; with a measured x
  (sensitivity, sharpness, a measure) each seed draws an offset for x and for y, correlated
  0.8 between x and y. For per-seed pairs (accuracy and chance reference, train and test
  barriers, the two inits' barriers, test and train curves) it is their correlation.
- trend only between seeds: seed offsets with share 0.9, correlated 1.0 between x and y, no
  relation within a seed. (Kendall on the 30 rows pooled, as the old rule did, "finds" a
  trend in 24% / 54% / 93% of the seed 0.3 / seed 0.6 / between-seeds draws at 3 seeds.)
- AR(1) 0.99: the random-labels curves (51 evaluations at ci) carry stationary AR(1) noise
  with phi 0.99 per evaluation, marginal sd 0.05 nats (test loss) and 0.05 (log train loss).
- spread / sd 3x: the noise sd grows linearly 3x across groups (widest to narrowest width,
  along the batch sizes, fractions or axis values, across seeds), RMS 1.

Models (what each case draws):

``random-labels-fit`` (all_reach): missed train images per seed ~ Poisson(1) (the smallest
    failure), or Poisson(G), G ~ Gamma with CV 1 (a seed effect: half the seeds fit);
    calibration 1000/1000 in float32.
``random-labels-chance`` (at_chance): per seed (acc, ref) normal around (0.1 + offset, 0.1),
    sds 0.011 and 0.0095 (measured), correlation 0.55 (so acc - ref has the measured sd 0.010)
    or 0 / 0.3 / 0.6, or seeds' sds spread 3x. False: offset +-0.02 (the margin); leaked
    labels (acc 0.87). True: offset 0.
``random-labels-overfit`` (overfits): mean test loss 2.35 at epoch 0, 2.32 at epoch 40, then
    up by the rise; mean train loss 2.30, 2.2 at epoch 40, then log-linear to 2e-4; AR(1)
    noise as above. False: rise exactly 0.1 nats, linear to the end, or after a plateau (both
    curves flat to 80% of the run: late memorization); train loss flat while the test loss
    rises. True: rise 18.7 nats (2.32 -> 21, as calibrated).
``width-monotone`` (monotone_in_width): mean test accuracy a - b w^-c fitted to the ci means
    (0.809 at w5 ... 0.941 at w90; consecutive steps +0.066 ... +0.0012); per (seed, width)
    noise sd 0.0042 (consecutive differences sd 0.006, as measured) plus a seed level. False:
    flat with noise 0.0003 (so that every pair is non-inferior: the trend part alone); w90 or
    w10 exactly 0.005 (the margin) below its predecessor, with calibration noise, or with
    noise on w80/w90 only (every other part passes: the least favourable case). True: the
    fitted curve; stress: sd 3x at the narrow end; w5 collapsed (0.11) in a third of seeds.
``interpolation-peak`` (interpolation_peak): the experiment's grid (51 a on [-1, 2], 31 of
    them on [0, 1]); per seed the error (points) is the endpoints' mean + B x bump (a Gaussian
    of width 0.15 less its chord: 0 at both endpoints, 1 at its centre, a = 0.4 or 0.5 as
    calibrated) + roughness 0.05; the loss is linear + 0.06 + 0.02 B nats of the same bump (its
    argmax the centre for every B). B (train, test) normal, lognormal or gamma (a Gaussian
    copula), correlated 0 / 0.3 / 0.6, or the test sd 3x. False: mean B = 2.0 points (the
    margin), sd 0.4 normal, or lognormal sd 0.4 / 1.0 / 1.9, gamma sd 1.0 / 1.9; a shared-init
    mean of 1.0 +- 0.8 (lognormal; its P(REFUTED) is the power to refute); the peak at a = 0.2.
    True: B ~ U(35, 48) (independent init); B ~ N(2.1, 0.4) (shared init, at the margin).
``shared-init-lower-barrier`` (lower_barrier): per seed four barriers (shared/independent x
    train/test), equicorrelated 0 / 0.3 / 0.6. False: all N(10, 3) (or the independent sd 3x),
    all lognormal 2 +- 1.9 or 10 +- 3. True: 41.5 +- 4 vs 2.1 +- 0.4; stress: the shared
    barrier lognormal 2.1 +- 0.8.
``sensitivity-gap``, ``sensitivity-accuracy`` (within_seed_trend; ``sharpness-gap`` is the
    same call): 10 batch sizes; within a seed (x, y) bivariate normal with Kendall tau; seed
    offsets; spread: the sds of x and y both 3x along the batch sizes. False: tau 0; the
    measured tau(sensitivity, gap) -0.19 (the opposite of the claim). True: tau +0.19 (the
    measured size in the claimed direction), -0.2.
``sharpness-batch``, ``corruption-test-monotone`` (within_seed_trend): y = slope i + level +
    sd_i e on the grid, the slope giving expected within-seed tau 0.08 / -0.94.
``fit-time-grows`` (censored_trend), ``corruption-fit`` (every_run_fits): log epochs to fit =
    a + slope i + level + 0.5 sd_i e over the 6 fractions, the slope for tau 0.72 before
    censoring, a putting a given share of the f = 1 runs beyond the budget (1000 at ci; those
    get budget + 1 and fitted False, as the experiment writes them). False: slope 0 with 30%
    censored; for corruption-fit, f = 1 fits with probability e^-1. True: tau 0.72 with 20%
    censored at f = 1; every run fits (0.1% censored).
``sensitivity-granulated`` (within_each_axis; ``sharpness-granulated`` is the same call): the
    one-at-a-time grid (4 values per axis at ci, base shared: 10 runs a seed); gap = sum of
    the run's standardized axis positions + noise 0.1; measure = sum of slope_a x position +
    noise 1, slope_a for within-axis tau_a. False: tau (0.9, 0.9, 0) (the least favourable
    null of "every axis"); trend only between seeds. True: tau 0.3 on every axis.

What the table showed (seed 0, 1000 draws a row; 3 seeds = ci, 5 = paper):

- False positives: <= 0.05 up to Monte-Carlo noise (at the margin the chance TOST sits at
  its nominal 0.05: 0.038-0.062, the intersection-union rules below it; the stratified
  Kendall nulls 0.034-0.060 at alpha 0.05 and 0.004-0.015 at 0.01, also with seed effects
  and with a trend only between seeds), except:
  ``random-labels-fit`` with a seed effect (half the seeds fit): 0.145 at 3 seeds, 0.028 at 5
  (a rule without an alpha: P(SUPPORTED) = P(a seed fits)^seeds; Poisson(1): 0.048 / 0.003);
  ``random-labels-overfit``, rise at the margin after a plateau: 0.073 and 0.062 at 3 seeds,
  0.174 and 0.171 at 5 (nominal alpha 0.01): the minimum of a noisy plateau undershoots its
  mean (mean statistic 0.13 for a true rise of 0.10), a bias that does not shrink with seeds
  while the SE does (a linear rise: 0.001-0.020);
  ``within_seed_trend`` when x and y are both 3x noisier along the batch sizes: 0.068 / 0.066
  (sensitivity-gap), 0.053 / 0.052 (sensitivity-accuracy); ~0.058 over 40,000 draws (0.07 at
  10x): Kendall's null variance assumes exchangeable rows within a seed.
- False refutations: <= 0.017 everywhere.
- Power at the ci count (3 seeds; 5 in brackets): >= 0.98 for random-labels-fit and -overfit,
  interpolation-peak (independent init), shared-init-lower-barrier, corruption-test-monotone,
  fit-time-grows (0.978) and corruption-fit. Below 0.90: random-labels-chance 0.573 (0.953);
  width-monotone 0.002 (0.141; 0.000 with sd 3x at the narrow end), all of it the paired
  non-inferiority part (the trend part alone: 1.0); sensitivity-accuracy 0.409 (0.556);
  sensitivity-gap at |tau| 0.19 0.379 (0.495); sharpness-batch at tau 0.08 0.131 (0.164);
  sensitivity-granulated at tau 0.3 per axis 0.023 (0.083); interpolation-peak with a shared
  init (barrier 2.1 +- 0.4, at its 2-point margin) 0.024 (0.045), P(REFUTED) 0.017: mostly
  INCONCLUSIVE, as a claim at its margin should be.
"""
