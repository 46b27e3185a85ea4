package org.segloss.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DynamicNode;

/**
 * The KernelTwinTest group of {@link Kernels#maxPoolRow}: each twin against the definition written
 * out candidate by candidate, at output counts around the lane count (the vector twin's blocks and
 * scalar tail), with rows at unaligned offsets and a nonzero xBase, on data full of ties (values
 * from a small set, both signed zeros) and of NaNs (half-width blocks included), so that the first-maximum rule and the NaN
 * rule decide most outputs. Maxima are compared bit for bit (a NaN as any NaN), indices exactly.
 */
final class MaxPoolTwins {
    private MaxPoolTwins() {}

    static List<DynamicNode> tests(Kernels v) {
        List<DynamicNode> out = new ArrayList<>();
        for (Kernels k : new Kernels[] {KernelProvider.scalar(), v}) {
            out.add(dynamicTest(v.name() + " maxPoolRow of " + k.name() + ": the definition", () -> {
                int lanes = v.lanes();
                int[] sizes = {0, 1, 2, 7, lanes / 2 - 1, lanes / 2, lanes / 2 + 1, lanes - 1, lanes, lanes + 1, lanes + lanes / 2,
                        2 * lanes - 1, 2 * lanes, 2 * lanes + 3, 3 * lanes + 5};
                for (int ow : sizes) {
                    if (ow < 0) continue;
                    for (int mode = 0; mode < 3; mode++) check(k, ow, mode);
                }
            }));
        }
        return out;
    }

    /** mode 0: random floats; 1: ties (a few values, ±0); 2: ties and NaNs. */
    static void check(Kernels k, int ow, int mode) {
        String ctx = k.name() + " ow=" + ow + " mode=" + mode;
        Random r = new Random(ow * 7 + mode);
        int w = 2 * ow + 1 + r.nextInt(3), xBase = 3, gap = 5;   // rows of w >= 2 ow inputs, odd tails dropped
        float[] x = new float[xBase + 4 * (w + gap) + 8];
        float[] pool = {-1f, 0f, -0f, 2f, 2f, 0.5f};
        for (int i = 0; i < x.length; i++) {
            x[i] = switch (mode) {
                case 0 -> (float) r.nextGaussian();
                case 1 -> pool[r.nextInt(pool.length)];
                default -> r.nextInt(7) == 0 ? Float.NaN : pool[r.nextInt(pool.length)];
            };
        }
        int[] rows = new int[4];
        for (int q = 0; q < 4; q++) rows[q] = xBase + 1 + q * (w + gap);
        float[] y = new float[ow + 4];
        int[] arg = new int[ow + 4];
        java.util.Arrays.fill(y, 99f);
        java.util.Arrays.fill(arg, -99);
        k.maxPoolRow(x, rows[0], rows[1], rows[2], rows[3], xBase, ow, y, 2, arg, 1);
        for (int j = 0; j < ow; j++) {
            int best = rows[0] + 2 * j;
            float m = x[best];
            for (int q = 0; q < 4; q++) {
                for (int kx = 0; kx < 2; kx++) {
                    int i = rows[q] + 2 * j + kx;
                    if (i == rows[0] + 2 * j) continue;
                    if (x[i] > m || (Float.isNaN(x[i]) && !Float.isNaN(m))) {
                        m = x[i];
                        best = i;
                    }
                }
            }
            assertEquals(Float.floatToIntBits(m), Float.floatToIntBits(y[2 + j]), ctx + " y[" + j + "]");
            assertEquals(best - xBase, arg[1 + j], ctx + " arg[" + j + "]");
        }
        assertEquals(99f, y[1], ctx + " nothing before yOff");
        assertEquals(99f, y[2 + ow], ctx + " nothing after the row");
        assertEquals(-99, arg[0], ctx + " nothing before argOff");
        assertEquals(-99, arg[1 + ow], ctx + " nothing after the row");
    }
}
