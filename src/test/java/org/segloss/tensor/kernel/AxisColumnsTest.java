package org.segloss.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The axis kernels over a sub-range of columns (what the tensor layer hands each thread): a call
 * split at multiples of 64 columns gives the same bits as one call over all columns, and the
 * vector kernels agree with the scalar ones on partial ranges with odd offsets.
 */
class AxisColumnsTest {
    interface Call {
        void run(Kernels k, float[] x, float[] g, int off, int n, int inner, int cols, float[] out);
    }

    static final List<Call> CALLS = List.of(
            (k, x, g, off, n, inner, cols, out) -> k.softmax(x, off, n, inner, cols, out, off),
            (k, x, g, off, n, inner, cols, out) -> k.logSoftmax(x, off, n, inner, cols, out, off),
            (k, x, g, off, n, inner, cols, out) -> k.logSumExp(x, off, n, inner, cols, out, off % inner),
            (k, x, g, off, n, inner, cols, out) -> k.softmaxBackward(x, off, g, off, n, inner, cols, out, off),
            (k, x, g, off, n, inner, cols, out) -> k.logSoftmaxBackward(x, off, g, off, n, inner, cols, out, off));

    static List<Kernels> all() {
        List<Kernels> ks = new ArrayList<>();
        ks.add(KernelProvider.scalar());
        for (int bits : KernelProvider.supportedWidths()) ks.add(KernelProvider.vector(bits));
        return ks;
    }

    @Test
    void splittingColumnsAtMultiplesOf64ChangesNoBit() {
        SplittableRandom r = new SplittableRandom(3);
        int n = 5, inner = 64 * 7 + 13;
        float[] x = new float[n * inner], g = new float[n * inner];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
            g[i] = (float) r.nextGaussian();
        }
        for (Kernels k : all()) {
            for (int c = 0; c < CALLS.size(); c++) {
                float[] whole = new float[n * inner], split = new float[n * inner];
                CALLS.get(c).run(k, x, g, 0, n, inner, inner, whole);
                for (int j0 = 0; j0 < inner; j0 += 128) CALLS.get(c).run(k, x, g, j0, n, inner, Math.min(128, inner - j0), split);
                assertArrayEquals(whole, split, 0f, k.name() + " call " + c);
            }
        }
    }

    @Test
    void vectorMatchesScalarOnPartialColumnRanges() {
        SplittableRandom r = new SplittableRandom(4);
        for (int inner : new int[] {17, 33, 100, 1025}) {
            int n = 1 + r.nextInt(6);
            float[] x = new float[n * inner], g = new float[n * inner];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (3 * r.nextGaussian());
                g[i] = (float) r.nextGaussian();
            }
            int off = r.nextInt(inner / 2), cols = 1 + r.nextInt(inner - off);
            for (int c = 0; c < CALLS.size(); c++) {
                float[] ref = new float[n * inner];
                CALLS.get(c).run(KernelProvider.scalar(), x, g, off, n, inner, cols, ref);
                for (Kernels k : all()) {
                    float[] got = new float[n * inner];
                    CALLS.get(c).run(k, x, g, off, n, inner, cols, got);
                    for (int i = 0; i < ref.length; i++) {
                        assertEquals(ref[i], got[i], 2e-6f * (1 + Math.abs(ref[i])),
                                k.name() + " call " + c + " inner=" + inner + " off=" + off + " cols=" + cols + " at " + i);
                    }
                }
            }
        }
    }
}
