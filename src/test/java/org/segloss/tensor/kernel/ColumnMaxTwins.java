package org.segloss.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DynamicNode;

/**
 * The KernelTwinTest group of the softmax family's column max (the vector twin takes it with a
 * compare and a blend, which keeps the first zero at a tie of -0 and +0 where Math.max gives +0):
 * <ul>
 *   <li>every output of softmax, logSoftmax, logSumExp, softmaxAndLogSum, softmaxLabelSums and
 *       crossEntropyChunk has the same bits whatever the signs of zero logits, on columns whose
 *       max is a zero held by several classes (ties in nearly every column), and the m row equals
 *       the column's max (as a number; its sign at a tie is the one thing left open);</li>
 *   <li>a NaN logit anywhere in a column makes that column's m NaN (Math.max lets NaN stick), and
 *       +∞ makes it +∞, in every class position.</li>
 * </ul>
 * In each twin, at class counts 1–5 and 17, column counts around the lanes, strided rows.
 */
final class ColumnMaxTwins {
    private ColumnMaxTwins() {}

    static List<DynamicNode> tests(Kernels v) {
        List<DynamicNode> out = new ArrayList<>();
        for (Kernels k : new Kernels[] {KernelProvider.scalar(), v}) {
            out.add(dynamicTest(v.name() + " softmax family of " + k.name() + ": the signs of zero logits do not show", () -> {
                int lanes = v.lanes();
                for (int n : new int[] {1, 2, 3, 4, 5, 17}) {
                    for (int cols : new int[] {1, lanes - 1, lanes, lanes + 1, 3 * lanes + 2, 600}) {
                        if (cols < 1) continue;
                        for (int inner : new int[] {cols, cols + 3}) signsOfZeros(k, n, inner, cols);
                    }
                }
            }));
            out.add(dynamicTest(v.name() + " softmaxAndLogSum of " + k.name() + ": m is NaN at a NaN logit, +∞ at +∞", () -> {
                int lanes = v.lanes();
                for (int n : new int[] {1, 2, 4, 17}) {
                    for (int cols : new int[] {lanes, 2 * lanes + 1}) nonFinite(k, n, cols);
                }
            }));
        }
        return out;
    }

    /** The outputs of every softmax-family kernel on x, compared bit for bit, and the m row, compared as a number. */
    private record Outputs(List<float[]> arrays, float[] m) {}

    private static Outputs run(Kernels k, float[] x, int n, int inner, int cols, int[] labels) {
        int size = n * inner;
        float[] p = new float[size], lsm = new float[size], lse = new float[cols];
        k.softmax(x, 0, n, inner, cols, p, 0);
        k.logSoftmax(x, 0, n, inner, cols, lsm, 0);
        k.logSumExp(x, 0, n, inner, cols, lse, 0);
        float[] p2 = new float[size], stats = new float[3 * cols];
        k.softmaxAndLogSum(x, 0, n, inner, cols, p2, 0, stats, 0);
        float[] m = java.util.Arrays.copyOfRange(stats, 0, cols);
        float[] logS = java.util.Arrays.copyOfRange(stats, cols, 2 * cols);
        float[] p3 = new float[size], sums = new float[Kernels.LABEL_SUM_SLOTS * n], stats3 = new float[2 * cols];
        int all = Kernels.SUM_AT_LABEL | Kernels.SUM_ALL | Kernels.SUM_SQUARES | Kernels.COUNT_AT_LABEL;
        float finite = k.softmaxLabelSums(x, 0, n, inner, cols, p3, 0, labels, 0, all, sums, 0, stats3, 0);
        float[] w = new float[n];
        for (int c = 0; c < n; c++) w[c] = 0.5f + c;
        float[] g = new float[size], stats4 = new float[3 * cols], picked = new float[n];
        assertTrue(k.crossEntropyChunk(x, 0, n, inner, cols, labels, 0, -1, w, g, 0, stats4, 0, picked));
        return new Outputs(List.of(p, lsm, lse, p2, logS, p3, sums, new float[] {finite},
                java.util.Arrays.copyOfRange(stats3, cols, 2 * cols), g, java.util.Arrays.copyOfRange(stats4, cols, 2 * cols), picked), m);
    }

    private static void signsOfZeros(Kernels k, int n, int inner, int cols) {
        String ctx = k.name() + " n=" + n + " inner=" + inner + " cols=" + cols;
        Random r = new Random(n * 131L + inner * 17L + cols);
        float[] mixed = new float[n * inner + 1], plus = new float[mixed.length], minus = new float[mixed.length];
        for (int i = 0; i < mixed.length; i++) {
            // mostly zeros of either sign (the column's max, held by several classes), some negatives
            float z = r.nextBoolean() ? 0f : -0f;
            mixed[i] = r.nextInt(4) == 0 ? -(1 + 3 * r.nextFloat()) : z;
            plus[i] = mixed[i] == 0f ? 0f : mixed[i];
            minus[i] = mixed[i] == 0f ? -0f : mixed[i];
        }
        int[] labels = new int[cols];
        for (int j = 0; j < cols; j++) labels[j] = r.nextInt(n);
        Outputs a = run(k, mixed, n, inner, cols, labels), b = run(k, plus, n, inner, cols, labels), c = run(k, minus, n, inner, cols, labels);
        for (int q = 0; q < a.arrays().size(); q++) {
            float[] x = a.arrays().get(q), y = b.arrays().get(q), z = c.arrays().get(q);
            for (int i = 0; i < x.length; i++) {
                assertEquals(Float.floatToIntBits(y[i]), Float.floatToIntBits(x[i]), ctx + " output " + q + " at " + i + " (mixed vs +0)");
                assertEquals(Float.floatToIntBits(y[i]), Float.floatToIntBits(z[i]), ctx + " output " + q + " at " + i + " (-0 vs +0)");
            }
        }
        for (int j = 0; j < cols; j++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int c2 = 0; c2 < n; c2++) max = Math.max(max, mixed[c2 * inner + j]);
            assertTrue(a.m()[j] == max, ctx + " m at column " + j + ": " + a.m()[j] + ", the column's max is " + max);
        }
    }

    private static void nonFinite(Kernels k, int n, int cols) {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            for (int at = 0; at < n; at++) {
                String ctx = k.name() + " n=" + n + " cols=" + cols + " " + bad + " in class " + at;
                Random r = new Random(n * 7L + cols + at);
                float[] x = new float[n * cols];
                for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian() * 3;
                int col = r.nextInt(cols);
                x[at * cols + col] = bad;
                if (n > 1) x[((at + 1) % n) * cols + col] = 50f;   // a larger finite value in another class
                float[] p = new float[x.length], stats = new float[3 * cols];
                k.softmaxAndLogSum(x, 0, n, cols, cols, p, 0, stats, 0);
                if (Float.isNaN(bad)) assertTrue(Float.isNaN(stats[col]), ctx + ": m is " + stats[col]);
                else assertEquals(Float.POSITIVE_INFINITY, stats[col], ctx + ": m");
                for (int c2 = 0; c2 < n; c2++) assertTrue(Float.isNaN(p[c2 * cols + col]), ctx + ": p of class " + c2 + " is " + p[c2 * cols + col]);
            }
        }
    }
}
