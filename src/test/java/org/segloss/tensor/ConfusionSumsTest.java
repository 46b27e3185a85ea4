package org.segloss.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.segloss.tensor.kernel.KernelProvider;
import org.segloss.tensor.kernel.Kernels;
import org.segloss.tensor.kernel.Parallel;

/**
 * {@link SoftmaxSums#confusionSums} (one {@link Kernels#softmaxConfusionSums} per chunk) against the
 * path it replaced, written out here: per chunk the softmax kernel, then one
 * {@link Kernels#sumWhereEqual} per (label, class) pair, chunk partials added in double in order.
 * The same bits, kept or recomputed softmax, at 1, 2 and 3 threads, with the scalar and the vector
 * kernels, for C = 2, 3, 4, 5, 17 (one 4 x 4 tile, a partial one, several), chunk tails of one voxel
 * and of a few, the ignore value outside [0, C) and inside it; and the labels' check.
 */
class ConfusionSumsTest {
    static final int IGNORE = -100;

    /** The per-pair path of the confusion sums before the fused kernel: [B, C, C]. */
    static float[] perPairSums(Kernels k, Tensor x, LabelTensor labels, int ignore) {
        int b = x.dim(0), c = x.dim(1), sp = x.size() / (b * c), cc = c * c;
        int chunk = SoftmaxSums.CHUNK, nch = (sp + chunk - 1) / chunk;
        double[] acc = new double[b * cc];
        float[] buf = new float[c * chunk];
        for (int bi = 0; bi < b; bi++) {
            for (int j = 0; j < nch; j++) {
                int j0 = j * chunk, len = Math.min(chunk, sp - j0), lab = labels.offset + bi * sp + j0;
                ChannelChunks.copyRows(x, bi, c, sp, j0, len, buf);
                k.softmax(buf, 0, c, len, len, buf, 0);
                for (int g = 0; g < c; g++) {
                    if (g == ignore) continue;
                    for (int l = 0; l < c; l++) acc[bi * cc + g * c + l] += k.sumWhereEqual(labels.data, lab, g, buf, l * len, len);
                }
            }
        }
        float[] out = new float[b * cc];
        for (int i = 0; i < out.length; i++) out[i] = (float) acc[i];
        return out;
    }

    /** Logits [B, C, S] and labels in [0, C) with about one voxel in six set to the ignore value. */
    record Case(Tensor x, LabelTensor labels, int ignore) {}

    static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(11);
        int[][] shapes = {{2, 2, 2049}, {1, 3, 4100}, {2, 4, 2 * 2048 + 17}, {3, 5, 33}, {2, 17, 2049}, {1, 4, 1}, {2, 3, 5}};
        for (int[] s : shapes) {
            int b = s[0], c = s[1], sp = s[2];
            for (int ignore : new int[] {IGNORE, c / 2}) {   // outside [0, C), then a class index
                int[] lab = new int[b * sp];
                for (int i = 0; i < lab.length; i++) lab[i] = r.nextInt(6) == 0 ? ignore : r.nextInt(c);
                out.add(new Case(Tensor.randn(r.nextLong(), b, c, sp).mul(3f), LabelTensor.of(lab, b, sp), ignore));
            }
        }
        return out;
    }

    @Test
    void theBitsOfThePerPairPathKeptOrRecomputedAtAnyThreadCount() {
        int saved = Parallel.threads();
        try {
            for (Kernels k : new Kernels[] {KernelProvider.scalar(), Backend.kernels()}) {
                try (Backend.Scope scope = Backend.use(k)) {
                    for (Case kc : cases()) {
                        float[] want = perPairSums(k, kc.x(), kc.labels(), kc.ignore());
                        for (int threads = 1; threads <= 3; threads++) {
                            Parallel.setThreads(threads);
                            String ctx = k.name() + " " + kc.x().shape() + " ignore " + kc.ignore() + " threads " + threads;
                            assertArrayEquals(want, SoftmaxSums.confusionSums(kc.x(), kc.labels(), kc.ignore()).toArray(),
                                    ctx + " recomputed");
                            Tensor p = Tensor.full(Float.NaN, kc.x().shape().dims());
                            assertArrayEquals(want, SoftmaxSums.confusionSums(kc.x(), kc.labels(), kc.ignore(), p, "test").toArray(),
                                    ctx + " kept");
                            // (a one-voxel chunk takes the contiguous-row softmax, hence not bit for bit)
                            assertArrayEquals(kc.x().softmax(1).toArray(), p.toArray(), 1e-6f, ctx + ": the kept softmax");
                        }
                    }
                }
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void aLabelOutsideTheClassesThatIsNotTheIgnoreValueIsRejected() {
        for (Kernels k : new Kernels[] {KernelProvider.scalar(), Backend.kernels()}) {
            try (Backend.Scope scope = Backend.use(k)) {
                // the ignore value outside [0, C) (present, accepted) and inside it; the bad label in a
                // vector block and in a chunk's tail, in the second sample
                for (int ignore : new int[] {IGNORE, 1}) {
                    for (int bad : new int[] {3, -1, 255}) {
                        for (int at : new int[] {2100 + 5, 2 * 2100 - 1}) {
                            Tensor x = Tensor.randn(1, 2, 3, 2100);
                            int[] y = new int[2 * 2100];
                            for (int i = 0; i < y.length; i += 7) y[i] = ignore;
                            y[at] = bad;
                            for (Tensor keep : new Tensor[] {null, Tensor.zeros(2, 3, 2100)}) {
                                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                                        () -> SoftmaxSums.confusionSums(x, LabelTensor.of(y, 2, 2100), ignore, keep, "test"));
                                assertEquals("confusionSums: labels must be in [0, 3) or the ignore value " + ignore + ", got " + bad
                                        + " at flat index " + at, e.getMessage(), k.name());
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void nonFiniteLogitsAreRejectedUnderTheGivenName() {
        for (Kernels k : new Kernels[] {KernelProvider.scalar(), Backend.kernels()}) {
            try (Backend.Scope scope = Backend.use(k)) {
                for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                    for (int at : new int[] {2 * 4100 + 3, 5 * 4100 - 1}) {   // a block of the first chunk; the last tail column
                        float[] v = Tensor.randn(2, 1, 5, 4100).toArray();
                        v[at] = bad;
                        Tensor x = Tensor.wrap(v, 1, 5, 4100);
                        LabelTensor y = LabelTensor.of(new int[4100], 1, 4100);
                        for (Tensor keep : new Tensor[] {null, Tensor.zeros(1, 5, 4100)}) {
                            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                                    () -> SoftmaxSums.confusionSums(x, y, IGNORE, keep, "GWDL"));
                            assertEquals("GWDL: input contains NaN or infinity (shape [1, 5, 4100])", e.getMessage(), k.name());
                        }
                        // without a name, no check
                        SoftmaxSums.confusionSums(x, y, IGNORE, null, null);
                    }
                }
            }
        }
    }
}
