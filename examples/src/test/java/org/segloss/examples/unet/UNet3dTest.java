package org.segloss.examples.unet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.segloss.autograd.GradCheck;
import org.segloss.autograd.NoGrad;
import org.segloss.autograd.Var;
import org.segloss.loss.DiceCELoss;
import org.segloss.loss.WeightedSumLoss;
import org.segloss.nn.Parameter;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;

class UNet3dTest {

    private static Var input(long seed, int... shape) {
        return Var.constant(Tensor.randn(seed, shape));
    }

    @Test
    void outputShapesForOddChannelCountsAndDepths() {
        for (int depth : new int[] {1, 2, 3}) {
            UNet3d net = new UNet3d(3, 5, depth, 3, false, 11);
            Var y = net.forward(input(1, 2, 3, 8, 4, 12));
            assertEquals(Shape.of(2, 5, 8, 4, 12), y.shape(), "depth " + depth);
            assertEquals(1, net.outputCount());
        }
    }

    @Test
    void deepSupervisionReturnsOneOutputPerDecoderLevelFullResolutionFirst() {
        UNet3d net = new UNet3d(1, 4, 4, 2, true, 3);
        List<Var> outs = net.forwardDeepSupervision(input(2, 1, 1, 16, 8, 8));
        assertEquals(3, outs.size());
        assertEquals(3, net.outputCount());
        assertEquals(Shape.of(1, 4, 16, 8, 8), outs.get(0).shape());
        assertEquals(Shape.of(1, 4, 8, 4, 4), outs.get(1).shape());
        assertEquals(Shape.of(1, 4, 4, 2, 2), outs.get(2).shape());
        // the full-resolution output is forward's
        assertArrayEquals(net.forward(input(2, 1, 1, 16, 8, 8)).value().toArray(), outs.get(0).value().toArray());
        // depth 2: no coarser decoder level, one output
        assertEquals(1, new UNet3d(1, 2, 2, 2, true, 1).forwardDeepSupervision(input(1, 1, 1, 4, 4, 4)).size());
        assertThrows(IllegalStateException.class, () -> new UNet3d(1, 2, 3, 2, false, 1).forwardDeepSupervision(input(1, 1, 1, 4, 4, 4)));
    }

    @Test
    void deepSupervisionOutputsCombineThroughTheWeightedSumLoss() {
        UNet3d net = new UNet3d(1, 3, 3, 2, true, 5);
        LabelTensor labels = LabelTensor.randomLabels(4, 3, 2, 8, 8, 8);
        List<Var> outs = net.forwardDeepSupervision(input(3, 2, 1, 8, 8, 8));
        LabelTensor[] targets = UNet3d.downsampleTargets(labels, outs.size());
        assertEquals(Shape.of(2, 4, 4, 4), targets[1].shape());
        assertEquals(labels.get(1, 2, 6, 4), targets[1].get(1, 1, 3, 2));
        // nnU-Net's weights give the coarsest output 0 (with 2 outputs: {1, 0}); to reach every
        // head, weigh both here
        assertArrayEquals(new float[] {1f, 0f}, WeightedSumLoss.deepSupervisionWeights(outs.size()));
        float[] w = {2f / 3, 1f / 3};
        Var loss = WeightedSumLoss.deepSupervision(DiceCELoss.nnUnet(false), w, outs.toArray(Var[]::new), targets);
        loss.backward();
        for (Parameter p : net.parameters()) {
            assertTrue(p.grad() != null, "no gradient for " + p);
        }
    }

    @Test
    void twoTrainingStepsOnAnEightCubedVolumeLowerTheLoss() {
        UNet3d net = new UNet3d(1, 3, 3, 4, false, 21);
        org.segloss.nn.AdamW opt = new org.segloss.nn.AdamW(net.parameters(), 1e-2f);
        Var x = input(22, 1, 1, 8, 8, 8);
        LabelTensor y = LabelTensor.randomLabels(23, 3, 1, 8, 8, 8);
        DiceCELoss loss = DiceCELoss.nnUnet(false);
        float[] values = new float[3];
        for (int step = 0; step < 3; step++) {
            opt.zeroGrad();
            Var l = loss.forward(net.forward(x), y);
            values[step] = l.item();
            assertTrue(Float.isFinite(values[step]), "loss at step " + step + ": " + values[step]);
            if (step < 2) {
                l.backward();
                for (Parameter p : net.parameters()) assertTrue(p.grad() != null && p.grad().isFinite(), p.name() + " has a finite gradient");
                opt.step();
            }
        }
        assertTrue(values[2] < values[0], "two AdamW steps on the same batch lower the loss: " + Arrays.toString(values));
    }

    @Test
    void parameterCount() {
        // enc 1976 + 10432 + 41600, up1 4096, dec1 20800, up0 1024, dec0 5216, head 36 (see the class layout)
        assertEquals(85180, new UNet3d(1, 4, 7).parameterCount());
        assertEquals(85180 + 16 * 4 + 4, new UNet3d(1, 4, 3, 8, true, 7).parameterCount());
        for (int depth = 1; depth <= 4; depth++) {
            for (int base : new int[] {1, 3}) {
                int in = 2, k = 3;
                long expect = 0;
                for (int l = 0; l < depth; l++) {
                    int c = base << l, cin = l == 0 ? in : c / 2;
                    expect += 27L * cin * c + 27L * c * c + 4L * c;
                }
                for (int l = depth - 2; l >= 0; l--) {
                    int c = base << l;
                    expect += 8L * 2 * c * c + 27L * 2 * c * c + 27L * c * c + 4L * c;
                }
                expect += (long) base * k + k;
                assertEquals(expect, new UNet3d(in, k, depth, base, false, 1).parameterCount(), "depth " + depth + " base " + base);
            }
        }
        assertEquals("enc0.0.weight", new UNet3d(1, 2, 2).namedParameters().keySet().iterator().next());
    }

    @Test
    void sameSeedGivesBitIdenticalOutputsAndGradients() {
        float[][] y = new float[2][], g = new float[2][];
        for (int r = 0; r < 2; r++) {
            UNet3d net = new UNet3d(2, 3, 3, 4, false, 42);
            Var out = net.forward(input(9, 2, 2, 8, 8, 8));
            y[r] = out.value().toArray();
            out.square().mean().backward();
            g[r] = net.parameters().get(0).grad().toArray();
        }
        assertArrayEquals(y[0], y[1]);
        assertArrayEquals(g[0], g[1]);
        UNet3d other = new UNet3d(2, 3, 3, 4, false, 43);
        assertFalse(Arrays.equals(y[0], other.forward(input(9, 2, 2, 8, 8, 8)).value().toArray()));
    }

    @Test
    void gradCheckWithRespectToTheInput() {
        UNet3d net = new UNet3d(1, 2, 2, 2, false, 3);
        Tensor x = Tensor.randn(5, 1, 1, 4, 4, 4);
        GradCheck.Report r = GradCheck.check(v -> net.forward(v[0]), GradCheck.DEFAULTS.withFullLimit(0), x);
        assertTrue(r.passed(), r::toString);
    }

    /**
     * GradCheck works on inputs; a parameter lives inside the module, so this checks it by hand,
     * element by element as GradCheck's full mode does: L = sum(w * net(x)) in double, central
     * differences against dL/dθ_i. This tiny net is full of kinks: a leaky ReLU input or a max-pool
     * choice within the step of its switch turns the quotient into an average of two slopes
     * (measured: a quarter of the probes at h = 1e-3 are off by 5-30 %, while the quotient at a
     * smaller step agrees to 0.1 %). So a probe passes when the quotient at one of the steps
     * h, h/2, h/4, h/8 (h = 1e-3 max(1, |θ_i|)), or the Richardson extrapolation of two neighbours,
     * agrees within 1e-3 + 2e-2 |g|. A wrong gradient (sign, factor, a missing path) fails at
     * every step; at least 3/4 of the probes must pass already at h or by Richardson (h, h/2).
     */
    @Test
    void gradCheckWithRespectToParameters() {
        UNet3d net = new UNet3d(1, 2, 2, 2, false, 3);
        Var x = input(6, 1, 1, 4, 4, 4);
        Tensor w = Tensor.uniform(7, 0.5f, 1.5f, 1, 2, 4, 4, 4);
        for (String name : new String[] {"enc0.0.weight", "enc1.3.weight", "up0.weight", "dec0.0.weight", "dec0.4.weight", "head.weight"}) {
            Parameter p = net.namedParameters().get(name);
            net.zeroGrad();
            net.forward(x).backward(w);
            float[] g = p.grad().toArray();
            Tensor orig = p.value().copy();
            SplittableRandom rnd = new SplittableRandom(8);
            int probes = Math.min(24, g.length), first = 0;
            for (int t = 0; t < probes; t++) {
                int i = g.length <= 24 ? t : rnd.nextInt(g.length);
                double h = 1e-3 * Math.max(1, Math.abs(orig.at(i)));
                double d1 = central(net, p, orig, i, h, x, w), d2 = central(net, p, orig, i, h / 2, x, w);
                double d4 = central(net, p, orig, i, h / 4, x, w), d8 = central(net, p, orig, i, h / 8, x, w);
                double[] est = {d1, (4 * d2 - d1) / 3, d2, (4 * d4 - d2) / 3, d4, (4 * d8 - d4) / 3, d8};
                double analytic = g[i], best = Double.MAX_VALUE;
                boolean early = false;
                for (int k = 0; k < est.length; k++) {
                    double tol = 1e-3 + 2e-2 * Math.max(Math.abs(analytic), Math.abs(est[k]));
                    double err = Math.abs(analytic - est[k]) / tol;
                    best = Math.min(best, err);
                    if (k < 2 && err <= 1) early = true;
                }
                if (early) first++;
                assertTrue(best <= 1, name + "[" + i + "]: analytic " + analytic + ", quotients at h, h/2, h/4, h/8 " + d1 + ", " + d2 + ", " + d4 + ", " + d8);
            }
            assertTrue(4 * first >= 3 * probes, name + ": only " + first + " of " + probes + " probes agree at h");
            assertArrayEquals(orig.toArray(), p.value().toArray(), name + " restored");
        }
    }

    private static void setValue(Parameter p, Tensor orig, int i, double h) {
        float[] v = orig.toArray();
        if (i >= 0) v[i] = (float) (v[i] + h);
        p.value().muli(0f).addi(Tensor.wrap(v, orig.shape().dims()));
    }

    private static double central(UNet3d net, Parameter p, Tensor orig, int i, double h, Var x, Tensor w) {
        setValue(p, orig, i, h);
        double plus = weighted(net, x, w);
        setValue(p, orig, i, -h);
        double minus = weighted(net, x, w);
        setValue(p, orig, -1, 0);
        return (plus - minus) / (2 * h);
    }

    private static double weighted(UNet3d net, Var x, Tensor w) {
        try (NoGrad ignored = NoGrad.enter()) {
            Tensor y = net.forward(x).value();
            double s = 0;
            for (int i = 0; i < y.size(); i++) s += (double) w.at(i) * y.at(i);
            return s;
        }
    }

    @Test
    void badArguments() {
        UNet3d net = new UNet3d(2, 3, 3, 4, false, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.forward(input(1, 1, 2, 8, 6, 8)));
        assertTrue(e.getMessage().contains("UNet3d") && e.getMessage().contains("multiples of 2^(depth-1) = 4")
                && e.getMessage().contains("got 6"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> net.forward(input(1, 1, 3, 8, 8, 8)));
        assertTrue(e.getMessage().contains("must have 2 channels") && e.getMessage().contains("got 3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> net.forward(input(1, 2, 8, 8, 8)));
        assertThrows(IllegalArgumentException.class, () -> new UNet3d(0, 3, 1));
        assertThrows(IllegalArgumentException.class, () -> new UNet3d(1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new UNet3d(1, 2, 0, 8, false, 1));
        assertThrows(IllegalArgumentException.class, () -> new UNet3d(1, 2, 3, 0, false, 1));
        assertThrows(IllegalArgumentException.class, () -> net.channels(3));
        assertThrows(IllegalArgumentException.class, () -> UNet3d.downsampleTargets(LabelTensor.zeros(1, 6, 8, 8), 3));
    }
}
