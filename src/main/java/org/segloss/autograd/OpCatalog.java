package org.segloss.autograd;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;

/**
 * Every primitive (and the composites built in {@link Var}) as a checkable case: a sampler that,
 * from a seed, picks odd random shapes, parameters and inputs away from kinks (relu and abs at
 * 0, ties of max/min, clamp bounds) and inside each function's domain. {@code segloss check} and
 * the gradient property tests both run this catalogue, so a new primitive is checked by adding
 * one entry here.
 */
public final class OpCatalog {
    private OpCatalog() {}

    /** One sampled case: the function, its inputs, and a label of the shapes and parameters. */
    public record Case(String op, String detail, GradCheck.VarFunction fn, Tensor[] inputs) {}

    /** A primitive and how to sample cases of it. {@code large} asks for inputs above the full-Jacobian limit. */
    public record Entry(String op, Sampler sampler) {
        public Case sample(long seed, boolean large) {
            return sampler.sample(new SplittableRandom(seed), large);
        }
    }

    @FunctionalInterface
    public interface Sampler {
        Case sample(SplittableRandom r, boolean large);
    }

    private static final int[] ODD = {1, 2, 3, 5, 7};

    /** A random shape of rank 1..4 with small odd-ish dims, or about 1,000-4,000 elements when large. */
    static int[] shape(SplittableRandom r, boolean large) {
        int rank = 1 + r.nextInt(4);
        int[] d = new int[rank];
        for (int i = 0; i < rank; i++) d[i] = ODD[r.nextInt(ODD.length)];
        if (large) d[rank - 1] = 257 + 2 * r.nextInt(8);   // a long, odd last axis: vector tails
        return d;
    }

    static Tensor uniform(SplittableRandom r, float lo, float hi, int[] d) {
        return Tensor.uniform(r.nextLong(), lo, hi, d);
    }

    /** Uniform values in [lo, hi] with |x - k| >= gap for each kink k. */
    static Tensor awayFrom(SplittableRandom r, float lo, float hi, float gap, int[] d, float... kinks) {
        float[] v = uniform(r, lo, hi, d).toArray();
        for (int i = 0; i < v.length; i++) {
            for (float k : kinks) {
                if (Math.abs(v[i] - k) < gap) v[i] = k + (v[i] >= k ? gap : -gap) * (1 + r.nextFloat());
            }
        }
        return Tensor.wrap(v, d);
    }

    /**
     * Distinct values for max/min: magnitudes 1.02^k, signs alternating, shuffled, so that
     * neighbours differ by >= 2 % of |x|, twice the full-mode relative step that moves one of them (at most 343 values).
     */
    static Tensor distinct(SplittableRandom r, int[] d) {
        int n = Shape.of(d).size();
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) ((i % 2 == 0 ? 1 : -1) * Math.pow(1.02, i / 2));
        shuffle(r, v, 0, n);
        return Tensor.wrap(v, d);
    }

    /** Rows of m values, each row a shuffle of +-1.05^k: 5 % gaps, five times the directional step. */
    static Tensor distinctRows(SplittableRandom r, int rows, int m) {
        float[] v = new float[rows * m];
        for (int i = 0; i < rows; i++) {
            for (int k = 0; k < m; k++) v[i * m + k] = (float) ((k % 2 == 0 ? 1 : -1) * Math.pow(1.05, k));
            shuffle(r, v, i * m, m);
        }
        return Tensor.wrap(v, rows, m);
    }

    private static void shuffle(SplittableRandom r, float[] v, int off, int n) {
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            float t = v[off + i];
            v[off + i] = v[off + j];
            v[off + j] = t;
        }
    }

    /** A shape that broadcasts to d: some axes set to 1, maybe leading axes dropped. */
    static int[] broadcastable(SplittableRandom r, int[] d) {
        int drop = r.nextInt(d.length);
        int[] b = Arrays.copyOfRange(d, drop, d.length);
        for (int i = 0; i < b.length; i++) if (r.nextInt(3) == 0) b[i] = 1;
        return b;
    }

    static int[] randomAxes(SplittableRandom r, int rank) {
        int[] tmp = new int[rank];
        int n = 0;
        for (int i = 0; i < rank; i++) if (r.nextBoolean()) tmp[n++] = r.nextBoolean() ? i : i - rank;   // negative axes too
        if (n == 0) tmp[n++] = r.nextInt(rank);
        return Arrays.copyOf(tmp, n);
    }

    private static Entry unary(String op, UnaryOperator<Var> f, float lo, float hi, float... kinks) {
        return new Entry(op, (r, large) -> {
            int[] d = shape(r, large);
            Tensor x = kinks.length == 0 ? uniform(r, lo, hi, d) : awayFrom(r, lo, hi, 0.05f, d, kinks);
            return new Case(op, Arrays.toString(d), v -> f.apply(v[0]), new Tensor[] {x});
        });
    }

    private interface Binary {
        Var apply(Var a, Var b);
    }

    private static Entry binary(String op, Binary f, float lo, float hi, float bLo, float bHi) {
        return new Entry(op, (r, large) -> {
            int[] d = shape(r, large);
            int[] db = broadcastable(r, d);
            boolean swap = r.nextBoolean();
            Tensor a = uniform(r, lo, hi, swap ? db : d), b = uniform(r, bLo, bHi, swap ? d : db);
            return new Case(op, Arrays.toString(a.shape().dims()) + " x " + Arrays.toString(b.shape().dims()),
                    v -> f.apply(v[0], v[1]), new Tensor[] {a, b});
        });
    }

    /** The catalogue. */
    public static List<Entry> entries() {
        List<Entry> e = new ArrayList<>();
        e.add(binary("add", Var::add, -2, 2, -2, 2));
        e.add(binary("sub", Var::sub, -2, 2, -2, 2));
        e.add(binary("mul", Var::mul, -2, 2, -2, 2));
        e.add(binary("div", Var::div, -2, 2, 0.5f, 2));
        e.add(new Entry("minimum/maximum", (r, large) -> {
            int[] d = shape(r, large);
            Tensor a = uniform(r, -2, 2, d);
            float[] bv = a.toArray();
            for (int i = 0; i < bv.length; i++) bv[i] += (r.nextBoolean() ? 1 : -1) * (0.05f + r.nextFloat());   // no ties
            boolean max = r.nextBoolean();
            return new Case(max ? "maximum" : "minimum", Arrays.toString(d),
                    v -> max ? v[0].maximum(v[1]) : v[0].minimum(v[1]), new Tensor[] {a, Tensor.wrap(bv, d)});
        }));
        e.add(new Entry("where", (r, large) -> {
            int[] d = shape(r, large);
            LabelTensor mask = LabelTensor.randomLabels(r.nextLong(), 2, d);
            return new Case("where", Arrays.toString(d), v -> Var.where(mask, v[0], v[1]),
                    new Tensor[] {uniform(r, -2, 2, d), uniform(r, -2, 2, broadcastable(r, d))});
        }));
        e.add(unary("neg", Var::neg, -2, 2));
        e.add(unary("exp", Var::exp, -2, 2));
        e.add(unary("log", Var::log, 0.2f, 3));
        e.add(unary("log1p", Var::log1p, -0.5f, 3));
        e.add(unary("sqrt", Var::sqrt, 0.2f, 3));
        e.add(new Entry("pow", (r, large) -> {
            int[] d = shape(r, large);
            float[] ps = {2f, 3f, 0.5f, -1f, 1.7f};
            float p = ps[r.nextInt(ps.length)];
            return new Case("pow", Arrays.toString(d) + " p=" + p, v -> v[0].pow(p), new Tensor[] {uniform(r, 0.3f, 2, d)});
        }));
        e.add(unary("abs", Var::abs, -2, 2, 0f));
        e.add(new Entry("clamp", (r, large) -> {
            int[] d = shape(r, large);
            return new Case("clamp", Arrays.toString(d) + " [-0.5, 0.7]", v -> v[0].clamp(-0.5f, 0.7f),
                    new Tensor[] {awayFrom(r, -2, 2, 0.05f, d, -0.5f, 0.7f)});
        }));
        e.add(unary("relu", Var::relu, -2, 2, 0f));
        e.add(unary("sigmoid", Var::sigmoid, -4, 4));
        e.add(unary("tanh", Var::tanh, -2, 2));
        e.add(unary("square (composite)", Var::square, -2, 2));
        e.add(new Entry("sum", (r, large) -> {
            int[] d = shape(r, large);
            int[] axes = randomAxes(r, d.length);
            boolean keep = r.nextBoolean();
            return new Case("sum", Arrays.toString(d) + " axes=" + Arrays.toString(axes) + " keepDims=" + keep,
                    v -> v[0].sum(axes, keep), new Tensor[] {uniform(r, -2, 2, d)});
        }));
        e.add(new Entry("mean (composite)", (r, large) -> {
            int[] d = shape(r, large);
            int[] axes = randomAxes(r, d.length);
            return new Case("mean (composite)", Arrays.toString(d) + " axes=" + Arrays.toString(axes),
                    v -> v[0].mean(axes, false), new Tensor[] {uniform(r, -2, 2, d)});
        }));
        e.add(new Entry("max/min", (r, large) -> {
            boolean keep = r.nextBoolean(), max = r.nextBoolean();
            int[] d;
            int[] axes;
            Tensor x;
            if (large) {   // many short rows reduced along the last axis
                d = new int[] {257 + 2 * r.nextInt(8), 2 + r.nextInt(6)};
                axes = new int[] {r.nextBoolean() ? 1 : -1};
                x = distinctRows(r, d[0], d[1]);
            } else {
                d = shape(r, false);
                if (d.length == 4) d = Arrays.copyOf(d, 3);
                axes = randomAxes(r, d.length);
                x = distinct(r, d);
            }
            return new Case(max ? "max" : "min", Arrays.toString(d) + " axes=" + Arrays.toString(axes) + " keepDims=" + keep,
                    v -> max ? v[0].max(axes, keep) : v[0].min(axes, keep), new Tensor[] {x});
        }));
        for (String kind : new String[] {"softmax", "logSoftmax", "logSumExp"}) {
            e.add(new Entry(kind, (r, large) -> {
                int[] d = shape(r, large);
                int axis = r.nextInt(d.length) - (r.nextBoolean() ? d.length : 0);
                boolean keep = r.nextBoolean();
                GradCheck.VarFunction f = switch (kind) {
                    case "softmax" -> v -> v[0].softmax(axis);
                    case "logSoftmax" -> v -> v[0].logSoftmax(axis);
                    default -> v -> v[0].logSumExp(axis, keep);
                };
                return new Case(kind, Arrays.toString(d) + " axis=" + axis, f, new Tensor[] {uniform(r, -3, 3, d)});
            }));
        }
        e.add(new Entry("reshape", (r, large) -> {
            int[] d = shape(r, large);
            return new Case("reshape", Arrays.toString(d) + " -> [-1]", v -> v[0].reshape(-1).mul(v[0].reshape(-1)),
                    new Tensor[] {uniform(r, -2, 2, d)});
        }));
        e.add(new Entry("permute", (r, large) -> {
            int[] d = shape(r, large);
            int[] perm = new int[d.length];
            for (int i = 0; i < perm.length; i++) perm[i] = i;
            for (int i = perm.length - 1; i > 0; i--) {
                int j = r.nextInt(i + 1), t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            Tensor w = uniform(r, -1, 1, permuted(d, perm));   // a weight that makes the order matter
            return new Case("permute", Arrays.toString(d) + " perm=" + Arrays.toString(perm),
                    v -> v[0].permute(perm).mul(w), new Tensor[] {uniform(r, -2, 2, d)});
        }));
        e.add(new Entry("slice", (r, large) -> {
            int[] d = shape(r, large);
            int axis = r.nextInt(d.length);
            int start = r.nextInt(d[axis]), end = start + 1 + r.nextInt(d[axis] - start);
            return new Case("slice", Arrays.toString(d) + " axis=" + axis + " [" + start + ", " + end + ")",
                    v -> v[0].slice(axis, start, end).square(), new Tensor[] {uniform(r, -2, 2, d)});
        }));
        e.add(new Entry("pad", (r, large) -> {
            int[] d = shape(r, large);
            int[] before = new int[d.length], after = new int[d.length];
            for (int i = 0; i < d.length; i++) {
                before[i] = r.nextInt(3);
                after[i] = r.nextInt(3);
            }
            return new Case("pad", Arrays.toString(d) + " before=" + Arrays.toString(before) + " after=" + Arrays.toString(after),
                    v -> v[0].pad(before, after, 0.5f).square(), new Tensor[] {uniform(r, -2, 2, d)});
        }));
        e.add(new Entry("concat", (r, large) -> {
            int[] d = shape(r, large);
            int axis = r.nextInt(d.length);
            int[] d2 = d.clone();
            d2[axis] = 1 + r.nextInt(3);
            return new Case("concat", Arrays.toString(d) + " ++ " + Arrays.toString(d2) + " axis=" + axis,
                    v -> Var.concat(axis, v[0], v[1]).square(), new Tensor[] {uniform(r, -2, 2, d), uniform(r, -2, 2, d2)});
        }));
        e.add(new Entry("broadcastTo", (r, large) -> {
            int[] d = shape(r, large);
            int[] small = broadcastable(r, d);
            Tensor w = uniform(r, -1, 1, d);
            return new Case("broadcastTo", Arrays.toString(small) + " -> " + Arrays.toString(d),
                    v -> v[0].broadcastTo(Shape.of(d)).mul(w), new Tensor[] {uniform(r, -2, 2, small)});
        }));
        e.add(new Entry("gather", (r, large) -> {
            int[] d = shape(r, large);
            int axis = r.nextInt(d.length);
            int[] id = d.clone();
            id[axis] = 1 + r.nextInt(4);
            LabelTensor index = LabelTensor.randomLabels(r.nextLong(), d[axis], id);
            return new Case("gather", Arrays.toString(d) + " axis=" + axis + " index " + Arrays.toString(id),
                    v -> v[0].gather(axis, index).square(), new Tensor[] {uniform(r, -2, 2, d)});
        }));
        e.add(new Entry("matMul", (r, large) -> {
            int m = 1 + r.nextInt(large ? 40 : 7), k = 1 + r.nextInt(large ? 40 : 7), n = 1 + r.nextInt(large ? 40 : 7);
            int batchKind = r.nextInt(3);   // 0: 2-D, 1: batched, 2: batched x shared 2-D
            int batch = 2 + r.nextInt(2);
            int[] da = batchKind == 0 ? new int[] {m, k} : new int[] {batch, m, k};
            int[] db = batchKind == 1 ? new int[] {batch, k, n} : new int[] {k, n};
            return new Case("matMul", Arrays.toString(da) + " x " + Arrays.toString(db),
                    v -> v[0].matMul(v[1]), new Tensor[] {uniform(r, -1, 1, da), uniform(r, -1, 1, db)});
        }));
        return e;
    }

    private static int[] permuted(int[] d, int[] perm) {
        int[] out = new int[d.length];
        for (int i = 0; i < d.length; i++) out[i] = d[perm[i]];
        return out;
    }
}
