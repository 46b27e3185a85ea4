package org.segloss.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DynamicNode;

/**
 * The KernelTwinTest group of a normalisation's kernels (instance and batch norm): the group sums
 * in the {@link Kernels#GROUP_PARTIALS} order, the fused sum-and-dot of the backward, and the
 * elementwise normalise / normaliseBackward in double. Each vector twin must give the scalar
 * twin's bits exactly (the lanes are the scalar twin's partials, the elementwise arithmetic the
 * same IEEE double operations), at every tail length around the partials' 8 and the vector's
 * lanes, at unaligned offsets, on values of mixed magnitude and on NaN and ±∞ (any NaN equals any
 * NaN); sum-and-dot must
 * also give groupSum's bits and a separate dot's.
 */
final class GroupNormTwins {
    private GroupNormTwins() {}

    static final int[] SIZES = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 33, 63, 65, 257, 1025, 4099};

    static List<DynamicNode> tests(Kernels v) {
        Kernels s = KernelProvider.scalar();
        List<DynamicNode> out = new ArrayList<>();
        out.add(dynamicTest(v.name() + " groupSum, groupSquaredDeviations and groupSumAndDot: the scalar bits", () -> {
            for (int n : SIZES) {
                for (int off : new int[] {0, 3}) {
                    String ctx = v.name() + " n=" + n + " off=" + off;
                    Random r = new Random(n * 31 + off);
                    float[] x = values(r, n + off + 5), y = values(r, n + off + 5);
                    double mean = r.nextGaussian();
                    assertEquals(bits(s.groupSum(x, off, n)), bits(v.groupSum(x, off, n)), ctx + " groupSum");
                    assertEquals(bits(s.groupSquaredDeviations(x, off, n, mean)), bits(v.groupSquaredDeviations(x, off, n, mean)),
                            ctx + " groupSquaredDeviations");
                    double[] so = {7, 7, 7, 7}, vo = {7, 7, 7, 7};
                    s.groupSumAndDot(x, off, y, off + 1, n, so, 1);
                    v.groupSumAndDot(x, off, y, off + 1, n, vo, 1);
                    assertEquals(bits(so[1]), bits(vo[1]), ctx + " groupSumAndDot's sum");
                    assertEquals(bits(so[2]), bits(vo[2]), ctx + " groupSumAndDot's dot");
                    assertEquals(7.0, vo[0], ctx + " nothing written before outOff");
                    assertEquals(7.0, vo[3], ctx + " nothing written after outOff + 1");
                    assertEquals(bits(s.groupSum(x, off, n)), bits(vo[1]), ctx + " groupSumAndDot's sum is groupSum's");
                    assertEquals(bits(dotInPartials(x, off, y, off + 1, n)), bits(vo[2]), ctx + " the dot in the partials' order");
                }
            }
        }));
        out.add(dynamicTest(v.name() + " normalise and normaliseBackward: the scalar bits", () -> {
            for (int n : SIZES) {
                for (int off : new int[] {0, 5}) {
                    String ctx = v.name() + " n=" + n + " off=" + off;
                    Random r = new Random(n * 17 + off);
                    float[] x = values(r, n + off + 3), dy = values(r, n + off + 3);
                    double mean = r.nextGaussian(), rstd = 0.1 + r.nextDouble() * 3;
                    float gamma = (float) r.nextGaussian(), beta = (float) r.nextGaussian();
                    float[][] outS = {filled(n + 4), filled(n + 4)}, outV = {filled(n + 4), filled(n + 4)};
                    s.normalise(x, off, n, mean, rstd, gamma, beta, outS[0], 2, outS[1], 1);
                    v.normalise(x, off, n, mean, rstd, gamma, beta, outV[0], 2, outV[1], 1);
                    for (int i = 0; i < n + 4; i++) {
                        assertEquals(bits(outS[0][i]), bits(outV[0][i]), ctx + " xh[" + i + "]");
                        assertEquals(bits(outS[1][i]), bits(outV[1][i]), ctx + " y[" + i + "]");
                    }
                    double scale = r.nextGaussian(), mdy = r.nextGaussian() * 0.1, mdyx = r.nextGaussian() * 0.1;
                    float[] dxS = filled(n + 4), dxV = filled(n + 4);
                    s.normaliseBackward(dy, off, x, 1, n, scale, mdy, mdyx, dxS, 3);
                    v.normaliseBackward(dy, off, x, 1, n, scale, mdy, mdyx, dxV, 3);
                    for (int i = 0; i < n + 4; i++) assertEquals(bits(dxS[i]), bits(dxV[i]), ctx + " dx[" + i + "]");
                    for (int i = 0; i < n && i < 40; i++) {
                        // the definition itself, element by element
                        float h = (float) ((x[off + i] - mean) * rstd);
                        assertEquals(bits(h), bits(outV[0][2 + i]), ctx + " xh[" + i + "] by definition");
                        assertEquals(bits(gamma * h + beta), bits(outV[1][1 + i]), ctx + " y[" + i + "] by definition");
                        assertEquals(bits((float) (scale * ((dy[off + i] - mdy) - x[1 + i] * mdyx))), bits(dxV[3 + i]),
                                ctx + " dx[" + i + "] by definition");
                    }
                }
            }
        }));
        out.add(dynamicTest(v.name() + " the leaky-ReLU-fused norm kernels: the unfused kernels' bits, and the twins agree", () -> {
            for (int n : SIZES) {
                for (float slope : new float[] {0.01f, -0.3f, 0f, 1.5f}) {
                    for (Kernels k : new Kernels[] {s, v}) fusedCase(k, s, v, n, slope);
                }
            }
        }));
        return out;
    }

    /** Kernel k's fused kernels against k's unfused ones (bit for bit), and against the other twin. */
    static void fusedCase(Kernels k, Kernels s, Kernels v, int n, float slope) {
        String ctx = k.name() + " n=" + n + " slope=" + slope;
        Random r = new Random(n * 13 + Float.floatToIntBits(slope));
        int off = 3;
        float[] x = values(r, n + off + 3), g = values(r, n + off + 3);
        double mean = r.nextGaussian(), rstd = 0.1 + r.nextDouble() * 3;
        float gamma = (float) r.nextGaussian(), beta = (float) r.nextGaussian();
        // forward: normalise then leakyRelu over its y
        float[] xh = filled(n + 2), y = filled(n + 2), xhF = filled(n + 2), yF = filled(n + 2), act = filled(n + 2);
        k.normalise(x, off, n, mean, rstd, gamma, beta, xh, 1, y, 1);
        k.leakyRelu(y, 1, slope, act, 1, n);
        k.normaliseLeakyRelu(x, off, n, mean, rstd, gamma, beta, slope, xhF, 1, yF, 1);
        for (int i = 0; i < n + 2; i++) {
            assertEquals(bits(xh[i]), bits(xhF[i]), ctx + " xh[" + i + "]");
            assertEquals(bits(act[i]), bits(yF[i]), ctx + " leaky(y)[" + i + "]");
        }
        // backward: leakyReluGrad at y into dy, then the sums and dx
        float[] dy = new float[n + 2];
        k.leakyReluGrad(g, off, y, 1, slope, dy, 1, n);
        double[] sums = new double[2], sumsF = new double[2];
        k.groupSumAndDot(dy, 1, xh, 1, n, sums, 0);
        k.groupSumAndDotLeakyRelu(g, off, xh, 1, n, gamma, beta, slope, sumsF, 0);
        assertEquals(bits(sums[0]), bits(sumsF[0]), ctx + " Σ dy");
        assertEquals(bits(sums[1]), bits(sumsF[1]), ctx + " Σ dy·xh");
        double scale = r.nextGaussian(), mdy = r.nextGaussian() * 0.1, mdyx = r.nextGaussian() * 0.1;
        float[] dx = filled(n + 2), dxF = filled(n + 2);
        k.normaliseBackward(dy, 1, xh, 1, n, scale, mdy, mdyx, dx, 1);
        k.normaliseBackwardLeakyRelu(g, off, xh, 1, n, gamma, beta, slope, scale, mdy, mdyx, dxF, 1);
        for (int i = 0; i < n + 2; i++) assertEquals(bits(dx[i]), bits(dxF[i]), ctx + " dx[" + i + "]");
        if (k == v) {
            // the twins agree as well
            float[] yS = filled(n + 2), xhS = filled(n + 2), dxS = filled(n + 2);
            double[] sumsS = new double[2];
            s.normaliseLeakyRelu(x, off, n, mean, rstd, gamma, beta, slope, xhS, 1, yS, 1);
            s.groupSumAndDotLeakyRelu(g, off, xh, 1, n, gamma, beta, slope, sumsS, 0);
            s.normaliseBackwardLeakyRelu(g, off, xh, 1, n, gamma, beta, slope, scale, mdy, mdyx, dxS, 1);
            for (int i = 0; i < n + 2; i++) {
                assertEquals(bits(yS[i]), bits(yF[i]), ctx + " scalar twin leaky(y)[" + i + "]");
                assertEquals(bits(dxS[i]), bits(dxF[i]), ctx + " scalar twin dx[" + i + "]");
            }
            assertEquals(bits(sumsS[0]), bits(sumsF[0]), ctx + " scalar twin Σ dy");
            assertEquals(bits(sumsS[1]), bits(sumsF[1]), ctx + " scalar twin Σ dy·xh");
        }
    }

    /** Mixed magnitudes (sums whose order matters), now and then a NaN or an infinity. */
    static float[] values(Random r, int len) {
        float[] a = new float[len];
        for (int i = 0; i < len; i++) {
            int pick = r.nextInt(200);
            a[i] = pick == 0 ? Float.NaN : pick == 1 ? Float.POSITIVE_INFINITY : pick == 2 ? Float.NEGATIVE_INFINITY
                    : (float) (r.nextGaussian() * Math.pow(10, r.nextInt(9) - 4));
        }
        // half the cases without special values, so that the finite sums are compared too
        if (r.nextBoolean()) for (int i = 0; i < len; i++) if (!Float.isFinite(a[i])) a[i] = 1.5f;
        return a;
    }

    static float[] filled(int len) {
        float[] a = new float[len];
        java.util.Arrays.fill(a, -123.25f);
        return a;
    }

    /** The GROUP_PARTIALS order written out for the dot. */
    static double dotInPartials(float[] a, int aOff, float[] b, int bOff, int n) {
        double[] s = new double[Kernels.GROUP_PARTIALS];
        int bound = n - n % Kernels.GROUP_PARTIALS;
        for (int i = 0; i < bound; i++) s[i % Kernels.GROUP_PARTIALS] += (double) a[aOff + i] * b[bOff + i];
        double tail = 0;
        for (int i = bound; i < n; i++) tail += (double) a[aOff + i] * b[bOff + i];
        return (((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))) + tail;
    }

    /** The bits, every NaN as the one canonical NaN (its sign and payload differ between scalar and vector instructions and mean nothing). */
    static long bits(double v) {
        return Double.doubleToLongBits(v);
    }

    /** As {@link #bits(double)}. */
    static int bits(float v) {
        return Float.floatToIntBits(v);
    }
}
