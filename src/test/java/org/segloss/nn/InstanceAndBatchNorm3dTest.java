package org.segloss.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.segloss.autograd.NoGrad;
import org.segloss.autograd.Var;
import org.segloss.tensor.Backend;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.KernelProvider;
import org.segloss.tensor.kernel.Kernels;

/** InstanceNorm3d and BatchNorm3d: gradients, statistics, train vs eval. */
class InstanceAndBatchNorm3dTest {

    @Property(tries = 30)
    void instanceNormGradients(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int b = 1 + r.nextInt(2), c = 1 + r.nextInt(3);
        Tensor x = Tensor.randn(r.nextLong(), b, c, NnTesting.odd(r), NnTesting.odd(r), 1 + r.nextInt(3));
        Tensor g = Tensor.uniform(r.nextLong(), 0.5f, 1.5f, c), be = Tensor.randn(r.nextLong(), c);
        NnTesting.assertGrad("InstanceNorm3d " + x.shape(), v -> new NormOp(true, 1e-5f, null, null).apply(v[0], v[1], v[2]), x, g, be);
    }

    @Property(tries = 30)
    void batchNormGradientsTrainAndEval(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int b = 1 + r.nextInt(2), c = 1 + r.nextInt(3);
        Tensor x = Tensor.randn(r.nextLong(), b, c, NnTesting.odd(r), 1 + r.nextInt(3), NnTesting.odd(r));
        Tensor g = Tensor.uniform(r.nextLong(), 0.5f, 1.5f, c), be = Tensor.randn(r.nextLong(), c);
        NnTesting.assertGrad("BatchNorm3d train " + x.shape(), v -> new NormOp(false, 1e-5f, null, null).apply(v[0], v[1], v[2]), x, g, be);
        float[] rm = Tensor.randn(r.nextLong(), c).toArray(), rv = Tensor.uniform(r.nextLong(), 0.5f, 2f, c).toArray();
        NnTesting.assertGrad("BatchNorm3d eval " + x.shape(), v -> new NormOp(false, 1e-5f, rm, rv).apply(v[0], v[1], v[2]), x, g, be);
    }

    @Test
    void instanceNormNormalisesEachSlice() {
        Tensor x = Tensor.randn(3, 2, 3, 4, 5, 6).muli(3f).add(2f);
        float[] y = new InstanceNorm3d(3).forward(Var.constant(x)).value().toArray();
        int n = 4 * 5 * 6;
        for (int s = 0; s < 6; s++) {
            double m = 0, q = 0;
            for (int i = 0; i < n; i++) m += y[s * n + i];
            for (int i = 0; i < n; i++) q += (y[s * n + i] - m / n) * (y[s * n + i] - m / n);
            assertEquals(0, m / n, 1e-5);
            assertEquals(1, q / n, 1e-3);
        }
    }

    @Test
    void batchNormTrainUpdatesRunningStatsAndEvalUsesThem() {
        BatchNorm3d bn = new BatchNorm3d(2);
        Tensor x = Tensor.randn(5, 2, 2, 3, 3, 3).muli(2f).add(1f);
        float[] xv = x.toArray();
        // per-channel batch mean and unbiased variance, by hand
        int n = 27;
        double[] mean = new double[2], var = new double[2];
        for (int c = 0; c < 2; c++) {
            for (int b = 0; b < 2; b++) for (int i = 0; i < n; i++) mean[c] += xv[(b * 2 + c) * n + i];
            mean[c] /= 2 * n;
            for (int b = 0; b < 2; b++) for (int i = 0; i < n; i++) var[c] += Math.pow(xv[(b * 2 + c) * n + i] - mean[c], 2);
        }
        Var yTrain;
        try (NoGrad ignored = NoGrad.enter()) {
            yTrain = bn.forward(Var.constant(x));                          // training mode by default
        }
        for (int c = 0; c < 2; c++) {
            assertEquals(0.1 * mean[c], bn.runningMean().get(c), 1e-5);
            assertEquals(0.9 + 0.1 * var[c] / (2 * n - 1), bn.runningVar().get(c), 1e-5);
        }
        // training output: normalised by the batch statistics (biased variance)
        float y0 = yTrain.value().get(0, 0, 0, 0, 0);
        assertEquals((xv[0] - mean[0]) / Math.sqrt(var[0] / (2 * n) + 1e-5), y0, 1e-4);

        bn.eval();
        float[] before = {bn.runningMean().get(0), bn.runningVar().get(0)};
        Var yEval = bn.forward(Var.constant(x));
        assertEquals((xv[0] - before[0]) / Math.sqrt(before[1] + 1e-5), yEval.value().get(0, 0, 0, 0, 0), 1e-4);
        assertArrayEquals(before, new float[] {bn.runningMean().get(0), bn.runningVar().get(0)}, "eval leaves the stats");
        assertTrue(Math.abs(yEval.value().get(0, 0, 0, 0, 0) - y0) > 0.1f, "train and eval differ here");
    }

    @Test
    void badArguments() {
        var e = assertThrows(IllegalArgumentException.class, () -> new BatchNorm3d(3).forward(Var.constant(Tensor.zeros(1, 2, 2, 2, 2))));
        assertTrue(e.getMessage().startsWith("BatchNorm3d: x must have 3 channels") && e.getMessage().contains("got 2"), e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> new InstanceNorm3d(2).forward(Var.constant(Tensor.zeros(2, 2, 2))));
        assertTrue(e2.getMessage().startsWith("InstanceNorm3d: x must have rank 5"), e2.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new BatchNorm3d(1).forward(Var.constant(Tensor.zeros(1, 1, 1, 1, 1))));
    }

    /**
     * The group sums in eight interleaved double partials agree with one running double sum to
     * double rounding, at every tail length and with offsets (the partial sums only reorder).
     */
    @Test
    void groupSumsInPartialsMatchARunningSum() {
        SplittableRandom r = new SplittableRandom(11);
        for (int n : new int[] {0, 1, 2, 7, 8, 9, 15, 16, 17, 63, 1025, 32768 + 3}) {
            int off = 5, off2 = 2;
            float[] x = new float[n + off], y = new float[n + off2];
            for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * 3 + 1.5);
            for (int i = 0; i < y.length; i++) y[i] = (float) r.nextGaussian();
            double mu = 1.25, sum = 0, sq = 0, dot = 0, abs = 0, absSq = 0, absDot = 0;
            for (int i = 0; i < n; i++) {
                double xi = x[off + i];
                sum += xi;
                sq += (xi - mu) * (xi - mu);
                dot += xi * y[off2 + i];
                abs += Math.abs(xi);
                absSq += (xi - mu) * (xi - mu);
                absDot += Math.abs(xi * y[off2 + i]);
            }
            double tol = 1e-14 * Math.max(1, n);
            for (Kernels k : List.of(KernelProvider.scalar(), Backend.kernels())) {
                double[] sumAndDot = new double[3];
                k.groupSumAndDot(x, off, y, off2, n, sumAndDot, 1);
                assertEquals(sum, k.groupSum(x, off, n), tol * abs, k.name() + " sum n=" + n);
                assertEquals(sq, k.groupSquaredDeviations(x, off, n, mu), tol * absSq, k.name() + " squaredDeviations n=" + n);
                assertEquals(sum, sumAndDot[1], tol * abs, k.name() + " sumAndDot's sum n=" + n);
                assertEquals(dot, sumAndDot[2], tol * absDot, k.name() + " sumAndDot's dot n=" + n);
            }
        }
    }
}
