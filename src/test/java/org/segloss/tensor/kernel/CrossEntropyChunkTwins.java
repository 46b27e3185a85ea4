package org.segloss.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DynamicNode;

/**
 * The KernelTwinTest group of {@link Kernels#crossEntropyChunk}: in each twin, the fused call
 * against {@link Kernels#crossEntropyChunkComposed} of the same kernel set (softmaxAndLogSum, the
 * per-class picks, crossEntropyGradient), bit for bit in the gradient, the m and log s rows and the
 * picks, at class counts 1–17 and column counts around the lane count (the vector twin's blocks and
 * its scalar tail columns), rows strided wider than the columns, unaligned offsets; labels that are
 * classes, an ignore value outside and inside [0, n), and, apart, a label that is neither (both
 * report it); NaN and ±∞ logits (every pick NaN in both); and logits far apart
 * (exponentials that underflow to 0).
 */
final class CrossEntropyChunkTwins {
    private CrossEntropyChunkTwins() {}

    static List<DynamicNode> tests(Kernels v) {
        List<DynamicNode> out = new ArrayList<>();
        for (Kernels k : new Kernels[] {KernelProvider.scalar(), v}) {
            out.add(dynamicTest(v.name() + " crossEntropyChunk of " + k.name() + ": its three kernels composed", () -> {
                int lanes = v.lanes();
                for (int n : new int[] {1, 2, 3, 4, 17}) {
                    for (int cols : new int[] {1, 2, lanes - 1, lanes, lanes + 1, 2 * lanes + 3, 3 * lanes, 255, 1043}) {   // 1043: several passes of 512
                        if (cols < 1) continue;
                        for (int inner : new int[] {cols, cols + 5}) {   // inner 1: one voxel's contiguous row
                            for (int ignore : new int[] {-1, 1}) {
                                for (int mode = 0; mode < 4; mode++) check(k, n, inner, cols, ignore, mode);
                            }
                        }
                    }
                }
            }));
        }
        return out;
    }

    /** mode 0: random logits; 1: a NaN, +∞ or -∞ in a row; 2: logits far apart; 3: a label that is no class. */
    static void check(Kernels k, int n, int inner, int cols, int ignore, int mode) {
        String ctx = k.name() + " n=" + n + " inner=" + inner + " cols=" + cols + " ignore=" + ignore + " mode=" + mode;
        Random r = new Random(n * 1009L + inner * 31L + cols * 7L + mode * 3L + ignore);
        int xOff = 3, outOff = 2, labOff = 1, statsOff = 5;
        float[] x = new float[xOff + n * inner + 4];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * (mode == 2 ? 60 : 4));
        if (mode == 1) {
            float[] bad = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
            x[xOff + r.nextInt(n) * inner + r.nextInt(cols)] = bad[r.nextInt(3)];
        }
        int[] labels = new int[labOff + cols + 2];
        for (int j = 0; j < labels.length; j++) labels[j] = r.nextInt(6) == 0 ? ignore : r.nextInt(n);
        if (mode == 3) labels[labOff + r.nextInt(cols)] = r.nextBoolean() ? (n == ignore ? n + 1 : n) : -2;   // neither class nor ignored
        float[] w = new float[n];
        for (int c = 0; c < n; c++) w[c] = c == ignore ? 0f : 0.1f + 2 * r.nextFloat();

        float[] outA = new float[outOff + n * inner + 3], outB = outA.clone();
        java.util.Arrays.fill(outA, 7f);
        java.util.Arrays.fill(outB, 7f);
        float[] statsA = new float[statsOff + 3 * cols], statsB = new float[statsOff + 3 * cols];
        float[] pickedA = new float[n], pickedB = new float[n];
        boolean validA = k.crossEntropyChunk(x, xOff, n, inner, cols, labels, labOff, ignore, w, outA, outOff, statsA, statsOff, pickedA);
        boolean validB = Kernels.crossEntropyChunkComposed(k, x, xOff, n, inner, cols, labels, labOff, ignore, w, outB, outOff,
                statsB, statsOff, pickedB);
        assertEquals(mode != 3, validA, ctx + ": labels reported valid");
        assertEquals(validB, validA, ctx + ": the composed check");
        if (mode == 3) return;   // outputs unspecified
        for (int i = 0; i < outA.length; i++) {
            assertEquals(Float.floatToIntBits(outB[i]), Float.floatToIntBits(outA[i]), ctx + ": gradient at " + i);
        }
        for (int i = 0; i < statsOff + 2 * cols; i++) {
            assertEquals(Float.floatToIntBits(statsB[i]), Float.floatToIntBits(statsA[i]), ctx + ": stats at " + i);
        }
        for (int c = 0; c < n; c++) {
            assertEquals(Float.floatToIntBits(pickedB[c]), Float.floatToIntBits(pickedA[c]), ctx + ": pick of class " + c);
            assertEquals(mode == 1, Float.isNaN(pickedA[c]), ctx + ": every pick NaN exactly when a logit is NaN or ±∞");
        }
        if (mode == 0) {
            // the composition itself, spot-checked against the definition: out(k, j) = p·a − [y = k]·a
            for (int j = 0; j < cols; j++) {
                int y = labels[labOff + j];
                float a = y >= 0 && y < n ? w[y] : 0f;
                double m = Double.NEGATIVE_INFINITY, s = 0;
                for (int c = 0; c < n; c++) m = Math.max(m, x[xOff + c * inner + j]);
                for (int c = 0; c < n; c++) s += Math.exp(x[xOff + c * inner + j] - m);
                for (int c = 0; c < n; c++) {
                    double p = Math.exp(x[xOff + c * inner + j] - m) / s;
                    double want = p * a - (c == y ? a : 0);
                    assertEquals(want, outA[outOff + c * inner + j], 1e-6 * (1 + Math.abs(a)), ctx + ": definition at class " + c + ", column " + j);
                }
            }
        }
    }
}
