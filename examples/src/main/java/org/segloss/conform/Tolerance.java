package org.segloss.conform;

import java.util.Arrays;

/**
 * The vectors' comparison rule: {@code |a - b| <= atol + rtol·|b|} elementwise, b expected; NaN
 * matches only NaN (as {@code check_npy.py}).
 */
public record Tolerance(double atol, double rtol) {
    /** Loss values: atol 1e-6, rtol 1e-4. */
    public static final Tolerance LOSS = new Tolerance(1e-6, 1e-4);
    /** Gradients and distance maps: atol 1e-7, rtol 1e-4. */
    public static final Tolerance ARRAY = new Tolerance(1e-7, 1e-4);

    /**
     * @param ok         every element within tolerance
     * @param off        how many are not
     * @param maxAbsErr  the largest |a - b| (NaN pairs count 0, NaN against a number infinity)
     * @param worst      flat index of the element furthest outside (or nearest to) its tolerance
     */
    public record Comparison(boolean ok, int off, int size, double maxAbsErr, int worst) {}

    public boolean close(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b)) return Double.isNaN(a) && Double.isNaN(b);
        return Math.abs(a - b) <= atol + rtol * Math.abs(b);
    }

    public Comparison compare(double[] got, double[] expected) {
        if (got.length != expected.length) {
            throw new IllegalArgumentException("Tolerance.compare: got must have the expected's " + expected.length
                    + " elements, got " + got.length);
        }
        int off = 0, worst = 0;
        double maxErr = 0, worstExcess = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < got.length; i++) {
            double a = got[i], b = expected[i];
            boolean bothNaN = Double.isNaN(a) && Double.isNaN(b);
            double err = bothNaN ? 0 : Double.isNaN(a) || Double.isNaN(b) ? Double.POSITIVE_INFINITY : Math.abs(a - b);
            if (!close(a, b)) off++;
            maxErr = Math.max(maxErr, err);
            double excess = bothNaN ? Double.NEGATIVE_INFINITY : err - (atol + rtol * Math.abs(b));
            if (Double.isNaN(excess)) excess = Double.POSITIVE_INFINITY;
            if (excess > worstExcess) {
                worstExcess = excess;
                worst = i;
            }
        }
        return new Comparison(off == 0, off, got.length, maxErr, worst);
    }

    /** The multi-index of a flat C-order index, as "(i, j, k)". */
    static String index(int flat, int[] shape) {
        int[] idx = new int[shape.length];
        for (int a = shape.length - 1; a >= 0; a--) {
            if (shape[a] == 0) break;
            idx[a] = flat % shape[a];
            flat /= shape[a];
        }
        return Arrays.toString(idx).replace('[', '(').replace(']', ')');
    }
}
