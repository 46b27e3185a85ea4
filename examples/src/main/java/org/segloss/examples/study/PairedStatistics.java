package org.segloss.examples.study;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.segloss.metrics.SurfaceDistances;

/**
 * The statistics of the study's report: mean ± sd over seeds, and the paired comparison of two
 * losses on the same (seed, validation volume) pairs — a percentile-bootstrap confidence interval
 * of the mean difference and the Wilcoxon signed-rank test. Plain double arithmetic, no
 * dependence on thread count or order of the runs (callers pass the pairs in a fixed order; the
 * bootstrap is seeded).
 */
public final class PairedStatistics {
    private PairedStatistics() {}

    /** Resamples of the bootstrap in the report. */
    public static final int DEFAULT_RESAMPLES = 10_000;
    /** Seed of the report's bootstrap (any fixed value: the report must be reproducible). */
    public static final long DEFAULT_BOOTSTRAP_SEED = 20_26_12_06L;
    /** Up to this many non-zero differences the Wilcoxon p-value is exact (all 2^n sign patterns). */
    public static final int EXACT_LIMIT = 50;

    /**
     * Mean and sample standard deviation (divisor n − 1) of n values.
     *
     * @param sd NaN when n &lt; 2 (one seed has no spread to show)
     */
    public record Summary(int n, double mean, double sd) {}

    /** Mean and sample sd of {@code xs} (finite values expected; an infinite value makes the mean infinite, sd NaN). */
    public static Summary summary(double[] xs) {
        if (xs == null || xs.length == 0) throw new IllegalArgumentException("PairedStatistics.summary: need at least one value, got none");
        double sum = 0;
        for (double x : xs) sum += x;
        double mean = sum / xs.length;
        if (xs.length < 2) return new Summary(1, mean, Double.NaN);
        double ss = 0;
        for (double x : xs) ss += (x - mean) * (x - mean);
        return new Summary(xs.length, mean, Math.sqrt(ss / (xs.length - 1)));
    }

    /**
     * A two-sided confidence interval of the mean of paired differences.
     *
     * @param low lower bound (NaN when n &lt; 2)
     * @param high upper bound (NaN when n &lt; 2)
     */
    public record Interval(double low, double high, double level, int resamples, long seed) {
        /** Whether the interval holds 0 (or is undefined): the difference is inside the noise. */
        public boolean containsZero() {
            return !(low > 0 || high < 0);
        }
    }

    /**
     * Percentile bootstrap (Efron 1979; Efron and Tibshirani 1993, ch. 13) of the mean of
     * {@code diffs}: {@code resamples} times draw n values with replacement
     * ({@link SplittableRandom}(seed)), take the mean; the interval is the (1 − level)/2 and
     * (1 + level)/2 percentiles of those means, with NumPy's linear interpolation
     * ({@link SurfaceDistances#percentile}). Percentile, not BCa: with the 3–10 pairs of a small
     * study the acceleration estimate of BCa is itself noise; the report says "percentile".
     *
     * @throws IllegalArgumentException on no values, a non-finite value, level outside (0, 1) or resamples &lt; 100
     */
    public static Interval bootstrapMeanCi(double[] diffs, double level, int resamples, long seed) {
        String op = "PairedStatistics.bootstrapMeanCi";
        checkDiffs(op, diffs);
        if (!(level > 0 && level < 1)) throw new IllegalArgumentException(op + ": level must be in (0, 1), got " + level);
        if (resamples < 100) throw new IllegalArgumentException(op + ": resamples must be >= 100, got " + resamples);
        int n = diffs.length;
        if (n < 2) return new Interval(Double.NaN, Double.NaN, level, resamples, seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] means = new double[resamples];
        for (int b = 0; b < resamples; b++) {
            double s = 0;
            for (int i = 0; i < n; i++) s += diffs[rnd.nextInt(n)];
            means[b] = s / n;
        }
        Arrays.sort(means);
        double tail = (1 - level) / 2 * 100;
        return new Interval(SurfaceDistances.percentile(means, tail), SurfaceDistances.percentile(means, 100 - tail), level, resamples,
                seed);
    }

    /** How the Wilcoxon p-value was computed. */
    public enum Method {
        /** Exact: the distribution of W+ over all 2^n sign patterns of the (possibly tied, averaged) ranks. */
        EXACT,
        /** Normal approximation with the tie correction of the variance, no continuity correction. */
        NORMAL,
        /** No non-zero difference: nothing to test, p = 1. */
        NONE
    }

    /**
     * The result of a two-sided Wilcoxon signed-rank test.
     *
     * @param n differences given
     * @param zeros differences exactly 0, dropped before ranking
     * @param wPlus sum of the ranks of the positive differences
     * @param wMinus sum of the ranks of the negative differences
     * @param pValue two-sided p-value
     */
    public record Wilcoxon(int n, int zeros, double wPlus, double wMinus, double pValue, Method method) {
        /** min(W+, W−), the statistic SciPy reports for the two-sided test. */
        public double statistic() {
            return Math.min(wPlus, wMinus);
        }
    }

    /**
     * The Wilcoxon signed-rank test (Wilcoxon 1945) of paired differences against a distribution
     * symmetric about 0, two-sided.
     *
     * <ul>
     *   <li><b>Zeros:</b> dropped before ranking ("wilcox" zero method, Wilcoxon's original and
     *       SciPy's default); n' = n − zeros differences remain.</li>
     *   <li><b>Ties</b> of |d| get the average of their ranks.</li>
     *   <li><b>n' ≤ {@value #EXACT_LIMIT}: exact.</b> The null distribution of W+ is that of the
     *       sum of the ranks with independent random signs (all 2^n' patterns equally likely),
     *       counted by dynamic programming over doubled ranks (integers even with ties); p = min(1,
     *       2 min(P(W+ ≤ w), P(W+ ≥ w))). Without ties this is the classical exact table; with ties
     *       it is the exact permutation (sign-flip) distribution, which SciPy ≥ 1.15's
     *       {@code method='auto'} gives too.</li>
     *   <li><b>n' &gt; {@value #EXACT_LIMIT}: normal approximation</b> z = (W+ − n'(n'+1)/4) / σ,
     *       σ² = n'(n'+1)(2n'+1)/24 − Σ(t³ − t)/48 over tie groups of size t, no continuity
     *       correction (SciPy's default {@code correction=False}), p = erfc(|z|/√2).</li>
     *   <li>n' = 0 (every difference 0): p = 1, method {@link Method#NONE}.</li>
     * </ul>
     */
    public static Wilcoxon wilcoxon(double[] diffs) {
        String op = "PairedStatistics.wilcoxon";
        checkDiffs(op, diffs);
        int zeros = 0;
        for (double d : diffs) if (d == 0) zeros++;
        int m = diffs.length - zeros;
        if (m == 0) return new Wilcoxon(diffs.length, zeros, 0, 0, 1.0, Method.NONE);
        double[] abs = new double[m];
        boolean[] positive = new boolean[m];
        int k = 0;
        for (double d : diffs) {
            if (d == 0) continue;
            abs[k] = Math.abs(d);
            positive[k++] = d > 0;
        }
        Integer[] order = new Integer[m];
        for (int i = 0; i < m; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(abs[a], abs[b]));
        int[] doubledRank = new int[m];                  // 2 × rank: integers even for averaged ties
        double tieTerm = 0;
        for (int i = 0; i < m; ) {
            int j = i;
            while (j + 1 < m && abs[order[j + 1]] == abs[order[i]]) j++;
            int t = j - i + 1;
            if (t > 1) tieTerm += (double) t * t * t - t;
            int twice = (i + 1) + (j + 1);               // 2 × the average of ranks i+1..j+1
            for (int q = i; q <= j; q++) doubledRank[order[q]] = twice;
            i = j + 1;
        }
        long wPlus2 = 0, total2 = 0;
        for (int i = 0; i < m; i++) {
            total2 += doubledRank[i];
            if (positive[i]) wPlus2 += doubledRank[i];
        }
        double wPlus = wPlus2 / 2.0, wMinus = (total2 - wPlus2) / 2.0;
        double p;
        Method method;
        if (m <= EXACT_LIMIT) {
            method = Method.EXACT;
            // counts[s] = number of sign patterns with doubled W+ = s; up to 2^50 fits a long
            long[] counts = new long[(int) total2 + 1];
            counts[0] = 1;
            int reach = 0;
            for (int r : doubledRank) {
                for (int s = reach; s >= 0; s--) if (counts[s] != 0) counts[s + r] += counts[s];
                reach += r;
            }
            double all = Math.pow(2, m);
            long le = 0, ge = 0;
            for (int s = 0; s <= total2; s++) {
                if (s <= wPlus2) le += counts[s];
                if (s >= wPlus2) ge += counts[s];
            }
            p = Math.min(1.0, 2 * Math.min(le, ge) / all);
        } else {
            method = Method.NORMAL;
            double mean = m * (m + 1) / 4.0;
            double var = m * (m + 1.0) * (2 * m + 1) / 24.0 - tieTerm / 48.0;
            double z = (wPlus - mean) / Math.sqrt(var);
            p = Math.min(1.0, erfc(Math.abs(z) / Math.sqrt(2)));
        }
        return new Wilcoxon(diffs.length, zeros, wPlus, wMinus, p, method);
    }

    private static void checkDiffs(String op, double[] diffs) {
        if (diffs == null || diffs.length == 0) throw new IllegalArgumentException(op + ": need at least one paired difference, got none");
        for (int i = 0; i < diffs.length; i++) {
            if (!Double.isFinite(diffs[i])) {
                throw new IllegalArgumentException(op + ": differences must be finite, got diffs[" + i + "] = " + diffs[i]
                        + " (leave out pairs with a diverged run or an infinite distance)");
            }
        }
    }

    /**
     * The complementary error function for x ≥ 0, to about 1e-15 relative: below 3 the series
     * erf(x) = (2/√π) e^(−x²) Σ 2^k x^(2k+1) / (1·3·…·(2k+1)) (all terms positive, Abramowitz and
     * Stegun 7.1.6), above it the continued fraction of A&amp;S 7.1.14 evaluated by the modified
     * Lentz method.
     */
    static double erfc(double x) {
        if (x < 0) throw new IllegalArgumentException("PairedStatistics.erfc: x must be >= 0, got " + x);
        if (x < 3) {
            double term = x, sum = x;
            for (int k = 1; k < 200 && term > 1e-17 * sum; k++) {
                term *= 2 * x * x / (2 * k + 1);
                sum += term;
            }
            return 1 - 2 / Math.sqrt(Math.PI) * Math.exp(-x * x) * sum;
        }
        // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
        double tiny = 1e-300, f = x, c = x, d = 0;
        for (int k = 1; k < 500; k++) {
            double a = k / 2.0;
            d = x + a * d;
            d = d == 0 ? tiny : d;
            c = x + a / c;
            c = c == 0 ? tiny : c;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1) < 1e-16) break;
        }
        return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
    }
}
