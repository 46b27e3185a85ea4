package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.segloss.autograd.GradCheck;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;

/**
 * The properties every loss must have (issue: "Tests for every loss"). A loss's property class
 * extends this and says how to build the loss with random valid options; jqwik runs the
 * inherited properties on random inputs:
 * <ul>
 * <li>its gradient agrees with {@link GradCheck};</li>
 * <li>its value lies in the documented range;</li>
 * <li>a perfect prediction attains the minimum (no random prediction does better);</li>
 * <li>it is invariant to a permutation of the voxels (same permutation in input and target);</li>
 * <li>a batch of identical samples equals one sample (for per-sample reductions);</li>
 * <li>2-D input equals 3-D input with depth 1;</li>
 * <li>a label-map target equals its one-hot target;</li>
 * <li>ignored voxels change nothing and get exactly zero gradient.</li>
 * </ul>
 */
public abstract class LossPropertiesBase {

    /** The loss under test, with random valid options drawn from r. */
    protected abstract Loss loss(SplittableRandom r, Options o);

    /** What the generated loss needs and allows. */
    public record Options(int classes, boolean withIgnore, Activation activation) {}

    /** The activation the random losses use (SOFTMAX by default; NONE means inputs are probabilities). */
    protected Activation activation(SplittableRandom r) { return Activation.SOFTMAX; }

    /** The documented range of the value [lo, hi]. */
    protected double lowerBound() { return 0.0; }
    protected double upperBound() { return 1.0; }

    /** Whether the loss supports ignoreIndex (then the ignore properties run). */
    protected boolean supportsIgnore() { return true; }

    /** Whether a batch of identical samples gives the value of one sample (per-sample reduction). */
    protected boolean perSampleMean() { return true; }

    /** The value at a perfect prediction, when it is a known constant (NaN: just "no worse than random"). */
    protected double perfectValue() { return 0.0; }

    /** Absolute tolerance for the perfect-prediction value (smoothing terms leave a little). */
    protected double perfectTolerance() { return 1e-3; }

    /** Tolerances of GradCheck for this loss (float32 defaults unless overridden). */
    protected GradCheck.Options gradOptions() { return GradCheck.DEFAULTS; }

    public static final int IGNORE = 255;

    // ---- generators --------------------------------------------------------------------------

    protected static int[] spatial(SplittableRandom r, boolean threeD) {
        return threeD ? new int[] {1 + r.nextInt(3), 2 + r.nextInt(3), 2 + r.nextInt(3)}
                      : new int[] {2 + r.nextInt(4), 2 + r.nextInt(4)};
    }

    static int[] concat(int b, int c, int[] sp) {
        int[] d = new int[2 + sp.length];
        d[0] = b;
        d[1] = c;
        System.arraycopy(sp, 0, d, 2, sp.length);
        return d;
    }

    static int[] labelShape(int b, int[] sp) {
        int[] d = new int[1 + sp.length];
        d[0] = b;
        System.arraycopy(sp, 0, d, 1, sp.length);
        return d;
    }

    /**
     * Input values for the activation: logits, or for NONE probabilities kept at least 0.2/C away
     * from 0 (a softmax mixed with the uniform distribution), so finite-difference steps stay in
     * [0, 1].
     */
    protected Tensor input(SplittableRandom r, Activation a, int[] shape) {
        Tensor logits = Tensor.randn(r.nextLong(), shape).mul(1.5f);
        return a == Activation.NONE ? logits.softmax(1).mul(0.8f).add(0.2f / shape[1]) : logits;
    }

    /** Labels in [0, C), with about a fifth set to IGNORE when asked. */
    protected static LabelTensor labels(SplittableRandom r, int c, int[] shape, boolean ignore) {
        int n = Shape.of(shape).size();
        int[] v = new int[n];
        for (int i = 0; i < n; i++) v[i] = ignore && r.nextInt(5) == 0 ? IGNORE : r.nextInt(c);
        if (ignore) v[0] = 0;   // at least one valid voxel
        return LabelTensor.of(v, shape);
    }

    private record Sample(Loss loss, Tensor input, LabelTensor labels, Options options) {}

    private Sample sample(long seed, boolean ignore, boolean threeD, int batch) {
        SplittableRandom r = new SplittableRandom(seed);
        int c = 2 + r.nextInt(2);
        Activation a = activation(r);
        Options o = new Options(c, ignore, a);
        Loss loss = loss(r, o);
        int[] sp = spatial(r, threeD);
        Tensor x = input(r, a, concat(batch, c, sp));
        LabelTensor y = labels(r, c, labelShape(batch, sp), ignore);
        return new Sample(loss, x, y, o);
    }

    static double value(Loss l, Tensor x, LabelTensor y) {
        return l.forward(Var.constant(x), y).item();
    }

    static void close(double expected, double actual, String what) {
        assertEquals(expected, actual, 1e-5 * Math.max(1, Math.abs(expected)), what);
    }

    // ---- properties --------------------------------------------------------------------------

    @Property(tries = 60)
    void gradientAgreesWithTheChecker(@ForAll long seed) {
        Sample s = sample(seed, false, new SplittableRandom(seed).nextBoolean(), 1 + Math.floorMod(seed, 2));
        GradCheck.Report r = GradCheck.check(v -> s.loss().forward(v[0], s.labels()), gradOptions(), s.input());
        assertTrue(r.passed(), s.loss().name() + " " + s.input().shape() + ": " + r);
    }

    @Property(tries = 60)
    void valueLiesInTheDocumentedRange(@ForAll long seed) {
        Sample s = sample(seed, false, false, 2);
        double v = value(s.loss(), s.input(), s.labels());
        assertTrue(v >= lowerBound() - 1e-6 && v <= upperBound() + 1e-6,
                s.loss().name() + ": " + v + " outside [" + lowerBound() + ", " + upperBound() + "]");
    }

    @Property(tries = 40)
    void aPerfectPredictionAttainsTheMinimum(@ForAll long seed) {
        Sample s = sample(seed, false, false, 2);
        Tensor onehot = s.labels().oneHot(s.options().classes());
        Tensor perfect = switch (s.options().activation()) {
            case NONE -> onehot;
            case SOFTMAX, SIGMOID -> onehot.mul(40f).add(-20f);   // saturated logits
        };
        double best = value(s.loss(), perfect, s.labels());
        double random = value(s.loss(), s.input(), s.labels());
        assertTrue(best <= random + 1e-6, s.loss().name() + ": perfect " + best + " > random " + random);
        if (!Double.isNaN(perfectValue())) assertEquals(perfectValue(), best, perfectTolerance(), s.loss().name() + " at a perfect prediction");
    }

    @Property(tries = 40)
    void invariantToAPermutationOfTheVoxels(@ForAll long seed) {
        Sample s = sample(seed, false, false, 2);
        int b = s.input().dim(0), c = s.input().dim(1);
        int n = s.labels().size() / b;
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        SplittableRandom r = new SplittableRandom(seed + 1);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        float[] x = s.input().toArray(), xp = new float[x.length];
        int[] y = s.labels().toArray(), yp = new int[y.length];
        for (int bi = 0; bi < b; bi++) {
            for (int i = 0; i < n; i++) {
                yp[bi * n + i] = y[bi * n + perm[i]];
                for (int k = 0; k < c; k++) xp[(bi * c + k) * n + i] = x[(bi * c + k) * n + perm[i]];
            }
        }
        double v1 = value(s.loss(), s.input(), s.labels());
        double v2 = value(s.loss(), Tensor.wrap(xp, s.input().shape().dims()), LabelTensor.of(yp, s.labels().shape().dims()));
        close(v1, v2, s.loss().name() + " after permuting voxels");
    }

    @Property(tries = 30)
    void aBatchOfIdenticalSamplesEqualsOneSample(@ForAll long seed) {
        if (!perSampleMean()) return;
        Sample s = sample(seed, false, false, 1);
        int k = 2 + new SplittableRandom(seed).nextInt(3);
        Tensor[] xs = new Tensor[k];
        Arrays.fill(xs, s.input());
        int[] y = s.labels().toArray();
        int[] ys = new int[y.length * k];
        for (int i = 0; i < k; i++) System.arraycopy(y, 0, ys, i * y.length, y.length);
        int[] ls = s.labels().shape().dims();
        ls[0] = k;
        close(value(s.loss(), s.input(), s.labels()), value(s.loss(), Tensor.concat(0, xs), LabelTensor.of(ys, ls)),
                s.loss().name() + ": a batch of " + k + " identical samples");
    }

    @Property(tries = 30)
    void twoDEqualsThreeDWithDepthOne(@ForAll long seed) {
        Sample s = sample(seed, false, false, 2);
        int[] d = s.input().shape().dims();
        Tensor x3 = s.input().reshape(d[0], d[1], 1, d[2], d[3]);
        LabelTensor y3 = s.labels().reshape(d[0], 1, d[2], d[3]);
        close(value(s.loss(), s.input(), s.labels()), value(s.loss(), x3, y3), s.loss().name() + ": 2-D vs 3-D with depth 1");
    }

    @Property(tries = 30)
    void aLabelMapEqualsItsOneHotTarget(@ForAll long seed) {
        boolean ignore = supportsIgnore() && new SplittableRandom(seed).nextBoolean();
        Sample s = sample(seed, ignore, new SplittableRandom(seed).nextBoolean(), 2);
        Tensor onehot = s.labels().oneHot(s.options().classes(), IGNORE);
        double a = value(s.loss(), s.input(), s.labels());
        double b = s.loss().forward(Var.constant(s.input()), onehot).item();
        close(a, b, s.loss().name() + ": label map vs one-hot");
    }

    @Property(tries = 30)
    void ignoredVoxelsChangeNothingAndGetZeroGradient(@ForAll long seed) {
        if (!supportsIgnore()) return;
        Sample s = sample(seed, true, false, 2);
        int b = s.input().dim(0), c = s.input().dim(1), n = s.labels().size() / b;
        // change the prediction at every ignored voxel
        float[] x = s.input().toArray();
        SplittableRandom r = new SplittableRandom(seed + 7);
        for (int bi = 0; bi < b; bi++) {
            for (int i = 0; i < n; i++) {
                if (s.labels().at(bi * n + i) != IGNORE) continue;
                for (int k = 0; k < c; k++) {
                    int at = (bi * c + k) * n + i;
                    x[at] = s.options().activation() == Activation.NONE ? x[at] : (float) (3 * r.nextGaussian());
                }
                if (s.options().activation() == Activation.NONE) {   // another probability vector
                    float[] q = new float[c];
                    float sum = 0;
                    for (int k = 0; k < c; k++) sum += q[k] = 0.05f + r.nextFloat();
                    for (int k = 0; k < c; k++) x[(bi * c + k) * n + i] = q[k] / sum;
                }
            }
        }
        Tensor changed = Tensor.wrap(x, s.input().shape().dims());
        close(value(s.loss(), s.input(), s.labels()), value(s.loss(), changed, s.labels()), s.loss().name() + ": ignored voxels changed");
        Var p = Var.param(s.input());
        Var v = s.loss().forward(p, s.labels());
        v.backward();
        for (int bi = 0; bi < b; bi++) {
            for (int i = 0; i < n; i++) {
                if (s.labels().at(bi * n + i) != IGNORE) continue;
                for (int k = 0; k < c; k++) {
                    assertEquals(0f, p.grad().at((bi * c + k) * n + i), 0f, s.loss().name() + ": gradient at an ignored voxel");
                }
            }
        }
    }
}
