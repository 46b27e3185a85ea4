package org.segloss.autograd;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.segloss.tensor.Tensor;

/**
 * Checks analytic gradients against central finite differences, in float32 (what the library
 * computes), for users' own functions as much as for ours.
 *
 * <p>The function {@code f} maps the inputs to an output of any shape. In directional mode it
 * is scalarised as {@code L = sum(w * f)} with a fixed random weight {@code w} in [0.5, 1.5),
 * the sum taken in double.
 * <ul>
 * <li><b>Full-Jacobian mode</b> (total input size and output size up to
 *     {@link Options#fullLimit}): one backward per output element gives the analytic Jacobian,
 *     one central difference per input element the numeric one; every entry is compared and the
 *     report names the worst (input, element, output element).</li>
 * <li><b>Directional mode</b> (larger inputs): {@link Options#directions} random directions
 *     {@code u} (entries +-max(1, |x|)) compare {@code (L(x + h u) - L(x - h u)) / 2h} with
 *     {@code <dL/dx, u>}; on a failure the largest-gradient elements are then probed one by one
 *     so that the report still names an element.</li>
 * </ul>
 *
 * <p>Tolerances, in one place: an element passes when
 * {@code |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|)}; the reported
 * relative error is {@code |a - n| / (atol / rtol + max(|a|, |n|))}, which must be &lt;= rtol.
 * Defaults for float32: step {@code h = 1e-3 * max(1, |x|)} per element in full mode,
 * {@code rtol = 1e-2}, {@code atol = 1e-3} (PyTorch's gradcheck defaults assume float64 and fail
 * in float32). A directional difference moves every element at once, so the rounding of the
 * many outputs adds up: directional mode uses the larger step {@code h = 1e-2 * max(1, |x|)},
 * Richardson-extrapolates the central differences at h and h/2 (cancelling the h^2 truncation
 * term), and adds to atol the numerical uncertainty of that quotient: the expected rounding
 * noise {@code 12 * 2^-24 * ||w * f|| / h} plus twice the disagreement of the two steps.
 * Keep inputs away from kinks (relu and abs at 0, ties of max and sort) by more than the step.
 */
public final class GradCheck {
    private GradCheck() {}

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

    public static final Options DEFAULTS = new Options(1e-3, 1e-2, 1e-2, 1e-3, 512, 8, 42L);

    /** The worst comparison: which input and element (null in a purely directional report). */
    public record Worst(int input, int[] index, int[] outputIndex, double analytic, double numeric, double relError) {
        @Override
        public String toString() {
            return String.format("input %d%s%s: analytic %.6g, numeric %.6g, relative error %.3g",
                    input, index == null ? " (direction)" : " at " + Arrays.toString(index),
                    outputIndex == null ? "" : ", output " + Arrays.toString(outputIndex), analytic, numeric, relError);
        }
    }

    /** The outcome: pass or fail, the mode used, the largest relative error and where it was. */
    public record Report(boolean passed, String mode, double maxRelError, Worst worst, int comparisons) {
        @Override
        public String toString() {
            return (passed ? "PASS" : "FAIL") + " [" + mode + ", " + comparisons + " comparisons] max relative error "
                    + String.format("%.3g", maxRelError) + (worst != null ? "; worst: " + worst : "");
        }
    }

    public static Report check(Function<Var[], Var> f, Tensor... inputs) {
        return check(f, DEFAULTS, inputs);
    }

    public static Report check(Function<Var[], Var> f, Options opt, Tensor... inputs) {
        if (inputs.length == 0) throw new IllegalArgumentException("GradCheck.check: inputs must not be empty");
        Tensor[] x = new Tensor[inputs.length];
        long total = 0;
        for (int i = 0; i < inputs.length; i++) {
            x[i] = inputs[i].copy();
            total += x[i].size();
        }
        // the output's shape, then the fixed weights w
        Tensor y0;
        try (NoGrad ignored = NoGrad.enter()) {
            y0 = f.apply(constants(x)).value();
        }
        SplittableRandom rnd = new SplittableRandom(opt.seed());
        float[] wv = new float[y0.size()];
        for (int i = 0; i < wv.length; i++) wv[i] = (float) (0.5 + rnd.nextDouble());   // in [0.5, 1.5): no cancellation
        Tensor w = Tensor.wrap(wv, y0.shape().dims());

        if (total <= opt.fullLimit() && y0.size() <= opt.fullLimit()) return full(f, x, y0, opt);
        return directional(f, x, w, analyticGrad(f, x, w), opt, rnd);
    }

    private static Var[] constants(Tensor[] x) {
        Var[] v = new Var[x.length];
        for (int i = 0; i < x.length; i++) v[i] = Var.constant(x[i]);
        return v;
    }

    private static Tensor[] analyticGrad(Function<Var[], Var> f, Tensor[] x, Tensor w) {
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

    /** L = sum(w * f(x)) in double, without recording a graph. */
    private static double loss(Function<Var[], Var> f, Tensor[] x, Tensor w) {
        try (NoGrad ignored = NoGrad.enter()) {
            Tensor y = f.apply(constants(x)).value();
            double s = 0;
            for (int i = 0; i < y.size(); i++) s += (double) w.at(i) * y.at(i);
            return s;
        }
    }

    private static double step(Options opt, float v) {
        return opt.eps() * Math.max(1.0, Math.abs(v));
    }

    private static double relError(Options opt, double a, double n) {
        return Math.abs(a - n) / (opt.atol() / opt.rtol() + Math.max(Math.abs(a), Math.abs(n)));
    }

    /** Central difference of L along one element; restores the element. */
    private static double partial(Function<Var[], Var> f, Tensor[] x, Tensor w, Options opt, int input, int flat) {
        Tensor t = x[input];
        float orig = t.at(flat);
        int[] idx = unflatten(t, flat);
        double h = step(opt, orig);
        float plus = (float) (orig + h), minus = (float) (orig - h);
        t.set(plus, idx);
        double lp = loss(f, x, w);
        t.set(minus, idx);
        double lm = loss(f, x, w);
        t.set(orig, idx);
        return (lp - lm) / ((double) plus - (double) minus);   // the float steps actually taken
    }

    /** f(x) without recording a graph. */
    private static Tensor eval(Function<Var[], Var> f, Tensor[] x) {
        try (NoGrad ignored = NoGrad.enter()) {
            return f.apply(constants(x)).value();
        }
    }

    /** Every entry dy_o/dx_ij: one backward per output, two evaluations per input element. */
    private static Report full(Function<Var[], Var> f, Tensor[] x, Tensor y0, Options opt) {
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
            Tensor t = x[i];
            for (int j = 0; j < t.size(); j++) {
                float orig = t.at(j);
                int[] idx = unflatten(t, j);
                double h = step(opt, orig);
                float plus = (float) (orig + h), minus = (float) (orig - h);
                t.set(plus, idx);
                Tensor yp = eval(f, x);
                t.set(minus, idx);
                Tensor ym = eval(f, x);
                t.set(orig, idx);
                double width = (double) plus - (double) minus;   // the float steps actually taken
                for (int o = 0; o < outs; o++) {
                    double n = ((double) yp.at(o) - ym.at(o)) / width;
                    double a = rows[o][i].at(j);
                    double e = Double.isNaN(a) || Double.isNaN(n) ? Double.POSITIVE_INFINITY : relError(opt, a, n);
                    count++;
                    if (worst == null || e > maxErr) {
                        maxErr = e;
                        worst = new Worst(i, idx, unflatten(y0, o), a, n, e);
                    }
                }
            }
        }
        return new Report(maxErr <= opt.rtol(), "full", maxErr, worst, count);
    }

    private static Report directional(Function<Var[], Var> f, Tensor[] x, Tensor w, Tensor[] analytic, Options opt,
                                      SplittableRandom rnd) {
        double maxErr = 0;
        Worst worst = null;
        for (int d = 0; d < opt.directions(); d++) {
            Tensor[] u = new Tensor[x.length];
            double a = 0;
            for (int i = 0; i < x.length; i++) {
                float[] uv = new float[x[i].size()];
                for (int j = 0; j < uv.length; j++) {
                    // +-1 scaled like the step of one element, so that h stays relative to |x|
                    uv[j] = (rnd.nextBoolean() ? 1f : -1f) * Math.max(1f, Math.abs(x[i].at(j)));
                    a += (double) uv[j] * analytic[i].at(j);
                }
                u[i] = Tensor.wrap(uv, x[i].shape().dims());
            }
            // Richardson extrapolation of two central differences (steps h and h/2) cancels the
            // h^2 term: a 1 % step would otherwise cost ~1 % accuracy where the third derivative
            // is large (log near 0.2, 1/b near 0.5)
            double h = opt.directionalEps();
            double d1 = (loss(f, shifted(x, u, h), w) - loss(f, shifted(x, u, -h), w)) / (2 * h);
            double d2 = (loss(f, shifted(x, u, h / 2), w) - loss(f, shifted(x, u, -h / 2), w)) / h;
            double n = (4 * d2 - d1) / 3;
            // Numerical uncertainty of n: the expected rounding noise of the extrapolated quotient
            // ((4 * 2 + 1) / 3 = 3 times that of one step h, for independent output roundings) plus
            // the disagreement of the two steps, which also exposes correlated rounding (a
            // log-sum-exp shared by a whole row) that the first term misses. A wrong backward
            // still disagrees with both quotients, which agree with each other.
            double noise = 3 * 4 * FLOAT_ROUNDOFF * weightedNorm(f, x, w) / h + 2 * Math.abs(d2 - d1);
            Options o = opt.withTolerances(opt.rtol(), opt.atol() + noise);
            double e = Double.isNaN(a) || Double.isNaN(n) ? Double.POSITIVE_INFINITY : relError(o, a, n);
            if (worst == null || e > maxErr) {
                maxErr = e;
                worst = new Worst(-1, null, null, a, n, e);
            }
        }
        boolean passed = maxErr <= opt.rtol();
        if (!passed) {
            // Name an element: probe the largest analytic entries of every input and a few random ones.
            Worst element = null;
            for (int i = 0; i < x.length; i++) {
                for (int j : probeIndices(analytic[i], rnd, 16)) {
                    double nn = partial(f, x, w, opt, i, j);
                    double aa = analytic[i].at(j);
                    double e = Double.isNaN(aa) || Double.isNaN(nn) ? Double.POSITIVE_INFINITY : relError(opt, aa, nn);
                    if (element == null || e > element.relError()) element = new Worst(i, unflatten(x[i], j), null, aa, nn, e);
                }
            }
            if (element != null && element.relError() > opt.rtol()) worst = element;
        }
        return new Report(passed, "directional", maxErr, worst, opt.directions());
    }

    /** ||w * f(x)||_2 in double: the scale of the rounding noise of L. */
    private static double weightedNorm(Function<Var[], Var> f, Tensor[] x, Tensor w) {
        try (NoGrad ignored = NoGrad.enter()) {
            Tensor y = f.apply(constants(x)).value();
            double s = 0;
            for (int i = 0; i < y.size(); i++) s += Math.pow((double) w.at(i) * y.at(i), 2);
            return Math.sqrt(s);
        }
    }

    private static Tensor[] shifted(Tensor[] x, Tensor[] u, double h) {
        Tensor[] out = new Tensor[x.length];
        for (int i = 0; i < x.length; i++) {
            float[] v = x[i].toArray();
            for (int j = 0; j < v.length; j++) v[j] = (float) (v[j] + h * u[i].at(j));
            out[i] = Tensor.wrap(v, x[i].shape().dims());
        }
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
