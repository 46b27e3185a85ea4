package org.segloss.examples.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.segloss.examples.study.PairedStatistics.Interval;
import org.segloss.examples.study.PairedStatistics.Method;
import org.segloss.examples.study.PairedStatistics.Wilcoxon;

/**
 * Known values: every Wilcoxon row was computed once by hand with SciPy 1.17.1,
 * {@code scipy.stats.wilcoxon(d, method=M)} with the defaults {@code zero_method='wilcox'},
 * {@code correction=False}, two-sided (M = 'exact' without ties, 'auto' with ties, 'approx' for
 * n &gt; 50); the tests do not call Python.
 */
class PairedStatisticsTest {
    /**
     * Darwin's Zea mays data as Fisher (1935, The Design of Experiments) gives it: height
     * differences (eighths of an inch) of cross- and self-fertilised plants; the example of the
     * SciPy wilcoxon documentation. SciPy: statistic 24, p 0.041259765625 (exact).
     */
    static final double[] FISHER = {6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75};

    @Test
    void exactWithoutTiesMatchesScipy() {
        Wilcoxon w = PairedStatistics.wilcoxon(FISHER);
        assertEquals(Method.EXACT, w.method());
        assertEquals(24, w.statistic(), 0);
        assertEquals(96, w.wPlus(), 0);
        assertEquals(0.041259765625, w.pValue(), 1e-15);
        // scipy: [0.01, -0.02, 0.03, 0.04, 0.05, 0.06] -> 2.0, 0.09375
        Wilcoxon small = PairedStatistics.wilcoxon(new double[] {0.01, -0.02, 0.03, 0.04, 0.05, 0.06});
        assertEquals(2, small.statistic(), 0);
        assertEquals(0.09375, small.pValue(), 1e-15);
        // all five positive: the smallest two-sided p of n = 5, 2/32 (scipy: 0.0, 0.0625)
        Wilcoxon five = PairedStatistics.wilcoxon(new double[] {0.1, 0.2, 0.3, 0.4, 0.5});
        assertEquals(0, five.statistic(), 0);
        assertEquals(0.0625, five.pValue(), 1e-15);
        // sign flips do not change a two-sided p
        double[] flipped = FISHER.clone();
        for (int i = 0; i < flipped.length; i++) flipped[i] = -flipped[i];
        assertEquals(w.pValue(), PairedStatistics.wilcoxon(flipped).pValue(), 0);
    }

    @Test
    void zerosAreDropped() {
        // scipy: [0, 0.5, -1.25, 0, 2, 3.5, -0.75, 1.5, 4] -> 5.0, 0.15625 (7 non-zero, 20/128)
        Wilcoxon w = PairedStatistics.wilcoxon(new double[] {0.0, 0.5, -1.25, 0.0, 2.0, 3.5, -0.75, 1.5, 4.0});
        assertEquals(2, w.zeros());
        assertEquals(5, w.statistic(), 0);
        assertEquals(0.15625, w.pValue(), 1e-15);
        Wilcoxon none = PairedStatistics.wilcoxon(new double[] {0, 0, 0});
        assertEquals(Method.NONE, none.method());
        assertEquals(1.0, none.pValue(), 0);
    }

    @Test
    void tiesUseTheExactSignFlipDistribution() {
        // scipy 'auto' (exact permutation distribution with averaged ranks): 17.0, 0.08837890625 = 362/4096
        Wilcoxon w = PairedStatistics.wilcoxon(new double[] {1, -1, 2, 2, -3, 3, 4, 5, 5, -6, 7, 8});
        assertEquals(Method.EXACT, w.method());
        assertEquals(17, w.statistic(), 0);
        assertEquals(0.08837890625, w.pValue(), 1e-15);
    }

    @Test
    void normalApproximationAboveFifty() {
        // 60 values drawn once from N(0.3, 1) (numpy default_rng(7), rounded to 6 decimals); scipy: 795.0, 0.3770243171062413
        double[] d = {0.30123, 0.598746, 0.025862, -0.590592, -0.154671, -0.691647, 0.360144, 1.640215, -0.192207, -0.320475,
            0.789842, 0.656887, 0.405414, -0.630468, 0.270748, 0.995303, -1.044215, -0.157616, -1.601223, -0.989538, -1.541735,
            0.064909, -0.967446, 0.571264, 0.456751, 0.113069, -2.21676, -0.238693, 0.251499, 0.413309, -1.230136, -0.177753,
            -0.678519, -0.508837, 1.360899, -0.507535, 0.267478, 1.18439, -0.2836, 0.188298, 0.410464, 0.363782, -0.925056,
            0.37614, 1.658823, -1.247145, 1.159383, 0.419354, -0.34147, 2.300417, 1.06226, -0.899289, 0.374516, 0.87669, 0.111218,
            0.98291, 0.233483, 0.967248, 1.738523, -0.375662};
        Wilcoxon w = PairedStatistics.wilcoxon(d);
        assertEquals(Method.NORMAL, w.method());
        assertEquals(795, w.statistic(), 0);
        assertEquals(0.3770243171062413, w.pValue(), 1e-12);
    }

    @Test
    void erfcKnownValues() {
        // scipy.special.erfc (SciPy 1.17.1): 0.4795001221869535, 0.15729920705028516, 2.2090496998585445e-05,
        // 1.5374597944280347e-12
        assertEquals(1.0, PairedStatistics.erfc(0), 0);
        assertEquals(0.4795001221869535, PairedStatistics.erfc(0.5), 1e-15);
        assertEquals(0.15729920705028516, PairedStatistics.erfc(1), 1e-15);
        assertEquals(2.2090496998585445e-05, PairedStatistics.erfc(3), 1e-18);
        assertEquals(1.5374597944280347e-12, PairedStatistics.erfc(5), 1e-24);
    }

    @Test
    void summaryMeanAndSampleSd() {
        // numpy: mean([1,2,3,4]) = 2.5, std(ddof=1) = 1.2909944487358056
        PairedStatistics.Summary s = PairedStatistics.summary(new double[] {1, 2, 3, 4});
        assertEquals(2.5, s.mean(), 0);
        assertEquals(1.2909944487358056, s.sd(), 1e-15);
        assertTrue(Double.isNaN(PairedStatistics.summary(new double[] {0.7}).sd()));
    }

    @Test
    void bootstrapIsSeededAndBehaves() {
        double[] d = {0.02, 0.05, -0.01, 0.04, 0.03, 0.06};
        Interval a = PairedStatistics.bootstrapMeanCi(d, 0.95, 10_000, 1), b = PairedStatistics.bootstrapMeanCi(d, 0.95, 10_000, 1);
        assertEquals(a, b);
        assertNotEquals(a, PairedStatistics.bootstrapMeanCi(d, 0.95, 10_000, 2));
        double mean = PairedStatistics.summary(d).mean();
        assertTrue(a.low() < mean && mean < a.high(), a.toString());
        assertTrue(a.low() >= -0.01 && a.high() <= 0.06, a.toString());     // a mean of resampled values stays in their range
        assertFalse(a.containsZero(), a.toString());
        Interval narrow = PairedStatistics.bootstrapMeanCi(d, 0.5, 10_000, 1);
        assertTrue(narrow.low() > a.low() && narrow.high() < a.high());
        Interval constant = PairedStatistics.bootstrapMeanCi(new double[] {0.3, 0.3, 0.3}, 0.95, 1000, 1);
        assertEquals(0.3, constant.low(), 1e-15);
        assertEquals(0.3, constant.high(), 1e-15);
        assertTrue(Double.isNaN(PairedStatistics.bootstrapMeanCi(new double[] {1}, 0.95, 1000, 1).low()));
        assertTrue(PairedStatistics.bootstrapMeanCi(new double[] {-1, 1, -2, 2}, 0.95, 1000, 1).containsZero());
    }

    /** For many normal pairs the percentile interval approaches mean ± 1.96 sd / sqrt(n) (central limit theorem). */
    @Test
    void bootstrapApproachesTheNormalIntervalForLargeN() {
        SplittableRandom r = new SplittableRandom(11);
        double[] d = new double[400];
        for (int i = 0; i < d.length; i++) d[i] = 0.1 + r.nextGaussian();
        PairedStatistics.Summary s = PairedStatistics.summary(d);
        double half = 1.959964 * s.sd() / Math.sqrt(d.length);
        Interval ci = PairedStatistics.bootstrapMeanCi(d, 0.95, 10_000, 3);
        assertEquals(s.mean() - half, ci.low(), 0.1 * half);
        assertEquals(s.mean() + half, ci.high(), 0.1 * half);
    }

    @Test
    void badInput() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PairedStatistics.wilcoxon(new double[] {0.1, Double.NaN}));
        assertTrue(e.getMessage().contains("diffs[1] = NaN"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PairedStatistics.wilcoxon(new double[0]));
        e = assertThrows(IllegalArgumentException.class, () -> PairedStatistics.bootstrapMeanCi(new double[] {1, 2}, 1.5, 1000, 1));
        assertTrue(e.getMessage().contains("level must be in (0, 1), got 1.5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PairedStatistics.bootstrapMeanCi(new double[] {1, 2}, 0.95, 10, 1));
        assertThrows(IllegalArgumentException.class, () -> PairedStatistics.summary(new double[0]));
    }
}
