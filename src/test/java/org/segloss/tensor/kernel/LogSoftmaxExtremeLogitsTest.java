package org.segloss.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * Log-softmax at logits of large magnitude against a double reference, in the scalar kernels and
 * the vector kernels at every width, on all three code paths (one contiguous row, vector column
 * blocks, tail columns). The kernels must compute (x - m) - log s: the older x - (m + log s)
 * returned 0 instead of -ln 3 for three equal logits of 1e8 (1e8 + ln 3 rounds to 1e8) and was
 * 2.4 % off at 1e6.
 */
class LogSoftmaxExtremeLogitsTest {
    static final float[] MAGNITUDES = {1e4f, -1e4f, 1e6f, -1e6f, 1e8f, -1e8f,
            Float.MAX_VALUE, -Float.MAX_VALUE, 0.75f * Float.MAX_VALUE, -0.75f * Float.MAX_VALUE};

    static List<Kernels> all() {
        List<Kernels> ks = new ArrayList<>();
        ks.add(KernelProvider.scalar());
        for (int bits : KernelProvider.supportedWidths()) ks.add(KernelProvider.vector(bits));
        return ks;
    }

    /** Three classes per column around the magnitude c: equal, and spread by a few ulps of c. */
    static float[][] columns(float c) {
        float u = Math.ulp(c);
        float up = Math.abs(c) == Float.MAX_VALUE ? c : c + Math.signum(c) * 3 * u;   // no overflow to inf
        return new float[][] {
                {c, c, c},                        // the case that collapsed: expect -ln 3 everywhere
                {c, c - Math.signum(c) * 2 * u, up},
                {c, 0f, -c},                      // -c - c overflows to -inf in float, as in double rounded to float
                {c, c, c / 2},
        };
    }

    /** (x - m) - log(sum exp(x - m)) in double from the float inputs, rounded to float once. */
    static float[] reference(float[] col) {
        double m = Double.NEGATIVE_INFINITY;
        for (float v : col) m = Math.max(m, v);
        double s = 0;
        for (float v : col) s += Math.exp(v - m);
        float[] r = new float[col.length];
        for (int k = 0; k < col.length; k++) r[k] = (float) ((col[k] - m) - Math.log(s));
        return r;
    }

    @Test
    void logSoftmaxMatchesADoubleReferenceAtExtremeLogits() {
        for (Kernels k : all()) {
            for (float c : MAGNITUDES) {
                for (float[] col : columns(c)) {
                    int n = col.length;
                    float[] want = reference(col);
                    // inner = 1: the contiguous-row path; inner = 37: vector column blocks and a tail
                    for (int inner : new int[] {1, 37}) {
                        float[] x = new float[n * inner], out = new float[n * inner];
                        for (int kk = 0; kk < n; kk++) {
                            for (int j = 0; j < inner; j++) x[kk * inner + j] = col[kk];
                        }
                        k.logSoftmax(x, 0, n, inner, out, 0);
                        for (int kk = 0; kk < n; kk++) {
                            for (int j = 0; j < inner; j++) {
                                float got = out[kk * inner + j];
                                String ctx = k.name() + " logSoftmax of " + java.util.Arrays.toString(col)
                                        + " inner=" + inner + " at (k=" + kk + ", j=" + j + ")";
                                if (Float.isInfinite(want[kk])) {
                                    assertEquals(want[kk], got, ctx);
                                    continue;
                                }
                                // x - m rounds once to float (half an ulp of |x - m|), log s is ~1 ulp of ln 3
                                double tol = Math.ulp((float) Math.abs((double) col[kk] - max(col))) + 1e-6 * (1 + Math.abs(want[kk]));
                                assertTrue(Math.abs(got - want[kk]) <= tol,
                                        ctx + ": got " + got + ", double reference " + want[kk] + ", tolerance " + tol);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void threeEqualLogitsGiveMinusLn3AtEveryMagnitude() {
        float ln3 = (float) Math.log(3);
        for (Kernels k : all()) {
            for (float c : MAGNITUDES) {
                float[] x = {c, c, c}, out = new float[3];
                k.logSoftmax(x, 0, 3, 1, out, 0);
                for (float v : out) assertEquals(-ln3, v, 1e-6f, k.name() + " at logits " + c);
            }
        }
    }

    static double max(float[] col) {
        double m = Double.NEGATIVE_INFINITY;
        for (float v : col) m = Math.max(m, v);
        return m;
    }
}
