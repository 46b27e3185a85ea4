package org.segloss.autograd;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.segloss.tensor.Tensor;

/**
 * Checks analytic gradients against finite differences of the float32 forward (what the library
 * computes), for users' own functions as much as for ours, tightly enough to catch a backward
 * that is wrong by 1 % in one input's gradient.
 *
 * <p>The function {@code f} maps the inputs to an output of any shape; it is scalarised as
 * {@code L = sum(w * f)} with a fixed random weight {@code w} in [0.5, 1.5), the sum taken in
 * double. Every numeric derivative is a Richardson extrapolation of central differences, and
 * every comparison allows {@code atol + rtol * max(|analytic|, |numeric|) + u}, where
 * {@code u} is the estimated numerical uncertainty of that numeric derivative (the error model
 * below), so that {@code rtol} can sit well under 1 %:
 * <ul>
 * <li><b>Full-Jacobian mode</b> (total input size and output size up to
 *     {@link Options#fullLimit}): one backward per output element gives the analytic Jacobian;
 *     central differences of each input element at steps h and h/2
 *     ({@code h = eps * max(1, |x|)}), extrapolated to {@code N = D(h/2) + (D(h/2) - D(h)) / 3},
 *     give the numeric one. Every entry is compared, and then, per input, {@link Options#directions}
 *     contractions {@code w^T J v} with random signs {@code v} (a directional derivative built from
 *     the same entries, no further evaluation): a 1 % error in small entries that each drown in
 *     atol still moves the contraction by 1 %. The report names the worst entry.</li>
 * <li><b>Directional mode</b> (larger inputs): per input, random directions {@code v} (entries
 *     +-max(1, |x|), the other inputs held fixed so that one input's error is not diluted by the
 *     others' gradients) compare {@code dL/dx . v} with the numeric derivative of
 *     {@code t -> L(x + t v)}: central differences at t, t/2 and t/4 ({@code t = directionalEps})
 *     give two Richardson values R(t) and R(t/2); R(t) is the numeric derivative. On a failure
 *     the largest-gradient elements are probed one by one so that the report names an element.</li>
 * </ul>
 *
 * <p>Error model: the uncertainty u of one numeric derivative is twice the disagreement of its
 * two Richardson levels (|D(h/2) - D(h)| in full mode, |R(t) - R(t/2)| in directional mode: it
 * bounds the truncation error left, holds a sample of the rounding noise, and grows when a step
 * crosses a kink) plus the expected float32 rounding of the forward's outputs over the step,
 * {@code 12 * 2^-24 * |y| / step} (|y| the output entry in full mode, {@code ||w * f||_2} in
 * directional mode). A wrong backward disagrees with the numeric derivative while the levels
 * agree with each other, so the uncertainty does not hide it. Defaults for float32: eps 1e-2,
 * directionalEps 1e-2, rtol 2e-3, atol 1e-3. Keep inputs away from kinks (relu and abs at 0,
 * ties of max and sort) by more than the step.
 */
public final class GradCheck {
    private GradCheck() {}

    /**
     * The function under check: inputs to output. (Not an autograd {@link Function}: any
     * composition of operations on the given {@link Var}s.)
     */
    @FunctionalInterface
    public interface VarFunction {
        Var apply(Var[] inputs);
    }

    /** Settings; {@link #DEFAULTS} are the float32 defaults documented on the class. */
    public record Options(double eps, double directionalEps, double rtol, double atol, int fullLimit, int directions,
                          long seed) {
        public Options withTolerances(double rtol, double atol) {
            return new Options(eps, directionalEps, rtol, atol, fullLimit, directions, seed);
        }
        public Options withEps(double eps, double directionalEps) {
            return new Options(eps, directionalEps, rtol, atol, fullLimit, directions, seed);
        }
        public Options withFullLimit(int fullLimit) {
            return new Options(eps, directionalEps, rtol, atol, fullLimit, directions, seed);
        }
        public Options withSeed(long seed) {
            return new Options(eps, directionalEps, rtol, atol, fullLimit, directions, seed);
        }
    }

    /** Unit roundoff of float32, 2^-24: the relative error of one rounded output. */
    static final double FLOAT_ROUNDOFF = 0x1p-24;

    /** Expected rounding of a difference quotient, in units of roundoff * |y| / step (see the class comment). */
    static final double ROUNDING_FACTOR = 12;

    public static final Options DEFAULTS = new Options(1e-2, 1e-2, 2e-3, 1e-3, 512, 6, 42L);

    /** The worst comparison: which input and element (null in a purely directional report). */
    public record Worst(int input, int[] index, int[] outputIndex, double analytic, double numeric, double relError) {
        @Override
        public String toString() {
            return String.format("input %d%s%s: analytic %.6g, numeric %.6g, relative error %.3g",
                    input, index == null ? " (direction)" : " at " + Arrays.toString(index),
                    outputIndex == null ? "" : ", output " + Arrays.toString(outputIndex), analytic, numeric, relError);
        }
    }

    /**
     * The outcome: pass or fail, the mode used, the largest relative error and where it was.
     * A relative error is {@code |a - n| / ((atol + u) / rtol + max(|a|, |n|))}: it passes when
     * it is at most rtol.
     */
    public record Report(boolean passed, String mode, double maxRelError, Worst worst, int comparisons) {
        @Override
        public String toString() {
            return (passed ? "PASS" : "FAIL") + " [" + mode + ", " + comparisons + " comparisons] max relative error "
                    + String.format("%.3g", maxRelError) + (worst != null ? "; worst: " + worst : "");
        }
    }

    public static Report check(VarFunction f, Tensor... inputs) {
        return check(f, DEFAULTS, inputs);
    }

    public static Report check(VarFunction f, Options opt, Tensor... inputs) {
        if (inputs.length == 0) throw new IllegalArgumentException("GradCheck.check: inputs must not be empty");
        Tensor[] x = new Tensor[inputs.length];
        long total = 0;
        for (int i = 0; i < inputs.length; i++) {
            x[i] = inputs[i].copy();
            total += x[i].size();
        }
        Tensor y0 = eval(f, x);   // the output's shape, then the fixed weights w
        SplittableRandom rnd = new SplittableRandom(opt.seed());
        float[] wv = new float[y0.size()];
        for (int i = 0; i < wv.length; i++) wv[i] = (float) (0.5 + rnd.nextDouble());   // in [0.5, 1.5): no cancellation
        Tensor w = Tensor.wrap(wv, y0.shape().dims());

        if (total <= opt.fullLimit() && y0.size() <= opt.fullLimit()) return full(f, x, y0, w, opt, rnd);
        return directional(f, x, w, analyticGrad(f, x, w), opt, rnd);
    }

    private static Var[] constants(Tensor[] x) {
        Var[] v = new Var[x.length];
        for (int i = 0; i < x.length; i++) v[i] = Var.constant(x[i]);
        return v;
    }

    private static Tensor[] analyticGrad(VarFunction f, Tensor[] x, Tensor w) {
        Var[] p = new Var[x.length];
        for (int i = 0; i < x.length; i++) p[i] = Var.param(x[i].copy());
        Var y = f.apply(p);
        if (!y.shape().equals(w.shape())) {
            throw new IllegalArgumentException("GradCheck: f returned shape " + y.shape() + " once and " + w.shape() + " before");
        }
        Tensor[] g = new Tensor[x.length];
        if (y.requiresGrad()) y.backward(w);
        for (int i = 0; i < x.length; i++) g[i] = p[i].grad() != null ? p[i].grad() : Tensor.zeros(x[i].shape());
        return g;
    }

    /**
     * f(x) without recording a graph, copied: an output may be a view of an input (reshape), which
     * the next step would otherwise change under it.
     */
    private static Tensor eval(VarFunction f, Tensor[] x) {
        try (NoGrad ignored = NoGrad.enter()) {
            return f.apply(constants(x)).value().copy();
        }
    }

    /** L = sum(w * f(x)) in double, and ||w * f(x)||_2, without recording a graph. */
    private static double[] lossAndNorm(VarFunction f, Tensor[] x, Tensor w) {
        Tensor y = eval(f, x);
        double s = 0, sq = 0;
        for (int i = 0; i < y.size(); i++) {
            double t = (double) w.at(i) * y.at(i);
            s += t;
            sq += t * t;
        }
        return new double[] {s, Math.sqrt(sq)};
    }

    private static double step(Options opt, float v) {
        return opt.eps() * Math.max(1.0, Math.abs(v));
    }

    /** |a - n| / ((atol + u) / rtol + max(|a|, |n|)); infinite for a NaN. */
    private static double relError(Options opt, double a, double n, double uncertainty) {
        if (Double.isNaN(a) || Double.isNaN(n) || Double.isNaN(uncertainty)) return Double.POSITIVE_INFINITY;
        return Math.abs(a - n) / ((opt.atol() + uncertainty) / opt.rtol() + Math.max(Math.abs(a), Math.abs(n)));
    }

    /**
     * Central differences of every output along one element at steps h and h/2 (the float steps
     * actually taken), extrapolated: [0] the numeric derivatives, [1] their uncertainties.
     */
    private static double[][] partials(VarFunction f, Tensor[] x, Options opt, int input, int flat) {
        Tensor t = x[input];
        float orig = t.at(flat);
        int[] idx = unflatten(t, flat);
        double h = step(opt, orig);
        float p1 = (float) (orig + h), m1 = (float) (orig - h), p2 = (float) (orig + h / 2), m2 = (float) (orig - h / 2);
        Tensor[] ys = new Tensor[4];
        float[] at = {p1, m1, p2, m2};
        for (int k = 0; k < 4; k++) {
            t.set(at[k], idx);
            ys[k] = eval(f, x);
        }
        t.set(orig, idx);
        double w1 = (double) p1 - m1, w2 = (double) p2 - m2;
        double ratio2 = (w1 / w2) * (w1 / w2);   // 4 unless rounding moved a step
        int outs = ys[0].size();
        double[] n = new double[outs], u = new double[outs];
        for (int o = 0; o < outs; o++) {
            double d1 = ((double) ys[0].at(o) - ys[1].at(o)) / w1;
            double d2 = ((double) ys[2].at(o) - ys[3].at(o)) / w2;
            n[o] = d2 + (d2 - d1) / (ratio2 - 1);
            double scale = Math.max(Math.max(Math.abs(ys[0].at(o)), Math.abs(ys[1].at(o))),
                    Math.max(Math.abs(ys[2].at(o)), Math.abs(ys[3].at(o))));
            u[o] = 2 * Math.abs(d2 - d1) + ROUNDING_FACTOR * FLOAT_ROUNDOFF * scale / w2;
        }
        return new double[][] {n, u};
    }

    /** Every entry dy_o/dx_ij, then per input random contractions w^T J v of the same entries. */
    private static Report full(VarFunction f, Tensor[] x, Tensor y0, Tensor w, Options opt, SplittableRandom rnd) {
        int outs = y0.size();
        Tensor[][] rows = new Tensor[outs][];           // rows[o][i] = d y_o / d x_i
        for (int o = 0; o < outs; o++) {
            Tensor seed = Tensor.zeros(y0.shape());
            seed.set(1f, unflatten(seed, o));
            rows[o] = analyticGrad(f, x, seed);
        }
        double maxErr = 0;
        Worst worst = null;
        int count = 0;
        for (int i = 0; i < x.length; i++) {
            int size = x[i].size();
            double[][] numeric = new double[size][], uncertainty = new double[size][];
            for (int j = 0; j < size; j++) {
                double[][] nu = partials(f, x, opt, i, j);
                numeric[j] = nu[0];
                uncertainty[j] = nu[1];
                for (int o = 0; o < outs; o++) {
                    double a = rows[o][i].at(j);
                    double e = relError(opt, a, nu[0][o], nu[1][o]);
                    count++;
                    if (worst == null || e > maxErr) {
                        maxErr = e;
                        worst = new Worst(i, unflatten(x[i], j), unflatten(y0, o), a, nu[0][o], e);
                    }
                }
            }
            // Contractions: a 1 % error spread over entries too small to stand out alone.
            for (int d = 0; d < opt.directions() && size > 0; d++) {
                double a = 0, n = 0, uu = 0;
                for (int j = 0; j < size; j++) {
                    double v = rnd.nextBoolean() ? 1 : -1, uj = 0;
                    for (int o = 0; o < outs; o++) {
                        a += w.at(o) * v * rows[o][i].at(j);
                        n += w.at(o) * v * numeric[j][o];
                        uj += w.at(o) * uncertainty[j][o];   // one evaluation: its outputs' errors may add up
                    }
                    uu += uj * uj;                           // different evaluations: independent
                }
                count++;
                // the report keeps naming the worst entry: the likeliest place of an error that
                // only the contraction resolves
                maxErr = Math.max(maxErr, relError(opt, a, n, Math.sqrt(uu)));
            }
        }
        return new Report(maxErr <= opt.rtol(), "full", maxErr, worst, count);
    }

    private static Report directional(VarFunction f, Tensor[] x, Tensor w, Tensor[] analytic, Options opt,
                                      SplittableRandom rnd) {
        double maxErr = 0;
        Worst worst = null;
        int perInput = Math.max(2, (opt.directions() + x.length - 1) / x.length), count = 0;
        for (int i = 0; i < x.length; i++) {
            for (int d = 0; d < perInput && x[i].size() > 0; d++) {
                float[] v = new float[x[i].size()];
                double a = 0;
                for (int j = 0; j < v.length; j++) {
                    // +-1 scaled like the step of one element, so that the step stays relative to |x|
                    v[j] = (rnd.nextBoolean() ? 1f : -1f) * Math.max(1f, Math.abs(x[i].at(j)));
                    a += (double) v[j] * analytic[i].at(j);
                }
                double t = opt.directionalEps();
                double[] dq = new double[3];
                double norm = 0;
                for (int k = 0; k < 3; k++) {
                    double s = t / (1 << k);
                    double[] plus = lossAndNorm(f, shifted(x, i, v, s), w), minus = lossAndNorm(f, shifted(x, i, v, -s), w);
                    dq[k] = (plus[0] - minus[0]) / (2 * s);
                    norm = Math.max(norm, Math.max(plus[1], minus[1]));
                }
                // Richardson: R(t) and R(t/2), each free of the s^2 term; their disagreement
                // bounds what is left (s^4 terms, rounding noise, a crossed kink)
                double r1 = (4 * dq[1] - dq[0]) / 3, r2 = (4 * dq[2] - dq[1]) / 3;
                double u = 2 * Math.abs(r1 - r2) + ROUNDING_FACTOR * FLOAT_ROUNDOFF * norm / t;
                double e = relError(opt, a, r1, u);
                count++;
                if (worst == null || e > maxErr) {
                    maxErr = e;
                    worst = new Worst(i, null, null, a, r1, e);
                }
            }
        }
        boolean passed = maxErr <= opt.rtol();
        if (!passed) {
            // Name an element: probe the largest analytic entries of every input and a few random ones.
            Worst element = null;
            for (int i = 0; i < x.length; i++) {
                for (int j : probeIndices(analytic[i], rnd, 16)) {
                    double[][] nu = partials(f, x, opt, i, j);
                    double nn = 0, uu = 0;
                    for (int o = 0; o < w.size(); o++) {
                        nn += w.at(o) * nu[0][o];
                        uu += w.at(o) * nu[1][o];
                    }
                    double aa = analytic[i].at(j);
                    double e = relError(opt, aa, nn, uu);
                    if (element == null || e > element.relError()) element = new Worst(i, unflatten(x[i], j), null, aa, nn, e);
                }
            }
            if (element != null && element.relError() > opt.rtol()) worst = element;
        }
        return new Report(passed, "directional", maxErr, worst, count);
    }

    /** The inputs with input i moved by s * v. */
    private static Tensor[] shifted(Tensor[] x, int input, float[] v, double s) {
        Tensor[] out = x.clone();
        float[] moved = x[input].toArray();
        for (int j = 0; j < moved.length; j++) moved[j] = (float) (moved[j] + s * v[j]);
        out[input] = Tensor.wrap(moved, x[input].shape().dims());
        return out;
    }

    private static int[] probeIndices(Tensor g, SplittableRandom rnd, int k) {
        int n = g.size();
        if (n <= 2 * k) {
            int[] all = new int[n];
            for (int i = 0; i < n; i++) all[i] = i;
            return all;
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (p, q) -> Float.compare(Math.abs(g.at(q)), Math.abs(g.at(p))));
        int[] out = new int[2 * k];
        for (int i = 0; i < k; i++) out[i] = order[i];
        for (int i = 0; i < k; i++) out[k + i] = rnd.nextInt(n);
        return out;
    }

    private static int[] unflatten(Tensor t, int flat) {
        int[] dims = t.shape().dims();
        int[] idx = new int[dims.length];
        for (int a = dims.length - 1; a >= 0; a--) {
            idx[a] = flat % dims[a];
            flat /= dims[a];
        }
        return idx;
    }
}
