package org.segloss.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;
import static org.segloss.tensor.kernel.KernelTwinTest.SENTINEL;
import static org.segloss.tensor.kernel.KernelTwinTest.classLabels;
import static org.segloss.tensor.kernel.KernelTwinTest.sentinel;
import static org.segloss.tensor.kernel.KernelTwinTest.uniform;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DynamicNode;

/**
 * The KernelTwinTest group of the exp-log loss's one-softmax kernels: softmaxLabelSums with the
 * softmax's stats, and softmaxLabelSumsBackward with a per-column label term. Each is held, in
 * each twin, to the kernels it merges bit for bit (the same twin's softmaxLabelSums and
 * softmaxAndLogSum; its softmaxLabelSumsBackward plus labelSoftmaxGradient, one float add), at
 * odd class counts, one column, vector tails, compact and strided rows, in place and not; and the
 * twins' backwards agree bit for bit.
 */
final class LabelSumsWithLogTwins {
    private LabelSumsWithLogTwins() {}

    static int bits(float v) {
        return Float.floatToRawIntBits(v);
    }

    static List<DynamicNode> tests(Kernels v) {
        List<DynamicNode> out = new ArrayList<>();
        Kernels s = KernelProvider.scalar();
        int dice = Kernels.SUM_AT_LABEL | Kernels.SUM_ALL | Kernels.COUNT_AT_LABEL;
        for (int stats : new int[] {KernelTwinTest.ALL_LABEL_SUMS, dice}) {
            out.add(dynamicTest(v.name() + " softmaxLabelSums with stats (stats=" + Integer.toBinaryString(stats) + ")", () -> {
                for (int[] shape : KernelTwinTest.confusionShapes(v.lanes())) {
                    for (boolean inPlace : new boolean[] {false, true}) {
                        for (Kernels k : new Kernels[] {s, v}) forwardCase(k, shape[0], shape[1], shape[2], inPlace, stats);
                    }
                }
            }));
        }
        out.add(dynamicTest(v.name() + " softmaxLabelSumsBackward with a label term", () -> {
            for (int[] shape : KernelTwinTest.confusionShapes(v.lanes())) {
                for (boolean inPlace : new boolean[] {false, true}) backwardCase(s, v, shape[0], shape[1], shape[2], inPlace);
            }
        }));
        return out;
    }

    /**
     * With stats: p, the sums and the returned finiteness sum are the bits of the call without;
     * m and log s those of softmaxAndLogSum; nothing outside the stats' 2 · cols entries written.
     */
    static void forwardCase(Kernels k, int n, int cols, int inner, boolean inPlace, int stats) {
        String ctx = k.name() + " softmaxLabelSums with stats [n=" + n + ", cols=" + cols + ", inner=" + inner + "]"
                + (inPlace ? " in place" : "");
        Random rnd = new Random(ctx.hashCode() + stats);
        int off = 5, len = off + (n - 1) * inner + cols + 3, so = 3;
        float[] x = new float[len];
        Arrays.fill(x, Float.NaN);
        for (int kk = 0; kk < n; kk++) for (int j = 0; j < cols; j++) x[off + kk * inner + j] = uniform(-10, 10).next(rnd);
        int[] lab = classLabels(rnd, 2 + cols, n);
        int slots = Kernels.LABEL_SUM_SLOTS * n;
        float[] x0 = x.clone(), p0 = inPlace ? x0 : sentinel(len), sums0 = sentinel(slots + 4);
        float r0 = k.softmaxLabelSums(x0, off, n, inner, cols, p0, off, lab, 2, stats, sums0, 2);
        float[] x1 = x.clone(), p1 = inPlace ? x1 : sentinel(len), sums1 = sentinel(slots + 4);
        float[] st = sentinel(so + 2 * cols + 2);
        float r1 = k.softmaxLabelSums(x1, off, n, inner, cols, p1, off, lab, 2, stats, sums1, 2, st, so);
        assertEquals(bits(r0), bits(r1), ctx + ": the finiteness sum");
        for (int i = 0; i < len; i++) assertEquals(bits(p0[i]), bits(p1[i]), ctx + ": p at " + i);
        for (int i = 0; i < sums0.length; i++) assertEquals(bits(sums0[i]), bits(sums1[i]), ctx + ": sums at " + i);
        float[] soft = sentinel(len), want = sentinel(so + 2 * cols + 2);
        k.softmaxAndLogSum(x, off, n, inner, cols, soft, off, want, so);
        for (int i = 0; i < want.length; i++) {
            String what = i < so || i >= so + 2 * cols ? ": written outside the stats" : i < so + cols ? ": m" : ": log s";
            assertEquals(bits(want[i]), bits(st[i]), ctx + what + " at " + i);
        }
    }

    /**
     * With a label term: in each twin, the bits of softmaxLabelSumsBackward plus labelSoftmaxGradient
     * (one float add); the twins agree bit for bit; nothing outside the columns written.
     */
    static void backwardCase(Kernels s, Kernels v, int n, int cols, int inner, boolean inPlace) {
        String ctx = v.name() + " softmaxLabelSumsBackward with a [n=" + n + ", cols=" + cols + ", inner=" + inner + "]"
                + (inPlace ? " in place" : "");
        Random rnd = new Random(ctx.hashCode());
        int off = 3, len = off + (n - 1) * inner + cols + 2;
        float[] logits = new float[len], pr = new float[len];
        Arrays.fill(logits, Float.NaN);
        for (int kk = 0; kk < n; kk++) for (int j = 0; j < cols; j++) logits[off + kk * inner + j] = uniform(-6, 6).next(rnd);
        s.softmax(logits, off, n, inner, cols, pr, off);
        for (int i = 0; i < len; i++) if (Float.isNaN(logits[i])) pr[i] = Float.NaN;   // padding
        int[] lab = classLabels(rnd, 1 + cols, n);
        float[] coef = new float[2 + 4 * n];
        for (int i = 0; i < coef.length; i++) coef[i] = uniform(-2, 2).next(rnd);
        float[] a = new float[3 + cols];
        for (int i = 0; i < a.length; i++) a[i] = rnd.nextInt(9) == 0 ? 0f : uniform(-3, 3).next(rnd);   // 0: an ignored voxel's A
        float[][] res = new float[2][];
        Kernels[] twins = {s, v};
        for (int t = 0; t < 2; t++) {
            Kernels k = twins[t];
            float[] y = pr.clone();
            res[t] = inPlace ? y : sentinel(len);
            k.softmaxLabelSumsBackward(y, off, n, inner, cols, lab, 1, coef, 2, a, 3, res[t], off);
            float[] region = sentinel(len), label = sentinel(len);
            k.softmaxLabelSumsBackward(pr, off, n, inner, cols, lab, 1, coef, 2, region, off);
            k.labelSoftmaxGradient(pr, off, n, inner, cols, lab, 1, a, 3, label, off);
            for (int i = 0; i < len; i++) {
                int kk = (i - off) / inner, j = (i - off) - kk * inner;
                boolean inRange = i >= off && kk < n && j < cols;
                float want = inRange ? region[i] + label[i] : inPlace ? pr[i] : SENTINEL;
                assertEquals(bits(want), bits(res[t][i]), ctx + " " + k.name() + (inRange ? ": region + label" : ": outside the columns")
                        + " at " + i);
            }
        }
        for (int i = 0; i < len; i++) assertEquals(bits(res[0][i]), bits(res[1][i]), ctx + " twins at " + i);
    }
}
