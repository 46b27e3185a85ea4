package org.segloss.autograd;

import java.util.Arrays;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;

/**
 * Every differentiable primitive of segloss, in one auditable place. Each javadoc gives the
 * forward formula and the backward rule (g is the gradient of the output). Everything else
 * (mean, square, the losses) is composed from these in {@link Var} and needs no backward.
 *
 * <p>NOTE: binary ops broadcast directly (NumPy rules) instead of through an explicit expand:
 * the kernels run vector-scalar loops for a per-class weight, and the backward reduces the
 * gradient with {@link Tensor#sumTo} (the adjoint of broadcasting).
 */
public final class Primitives {
    private Primitives() {}

    // what the shape-changing and broadcasting primitives keep for their backward
    private static final Ctx.Key<Shape[]> INPUT_SHAPES = new Ctx.Key<>("input shapes");
    private static final Ctx.Key<Shape> INPUT_SHAPE = new Ctx.Key<>("input shape");
    private static final Ctx.Key<int[]> INVERSE_PERMUTATION = new Ctx.Key<>("inverse permutation");
    private static final Ctx.Key<int[]> PART_SIZES = new Ctx.Key<>("part sizes");

    private static Tensor[] grads(Tensor... g) { return g; }

    /**
     * A slice that owns its data. {@link Tensor#slice} copies unless every axis before {@code axis}
     * has size 1, where it returns a view; only then is a copy made here (one copy, never two).
     */
    private static Tensor ownSlice(Tensor t, int axis, int start, int end) {
        Tensor s = t.slice(axis, start, end);
        int ax = t.shape().axis(axis, "axis", "slice");
        return t.shape().product(0, ax) == 1 ? s.copy() : s;
    }

    // ---- binary, broadcasting ---------------------------------------------------------------

    /** y = a + b. da = sumTo(g), db = sumTo(g). */
    public static final class Add extends Function {
        protected Tensor forward(Ctx ctx, Tensor... in) {
            ctx.save(INPUT_SHAPES, new Shape[] {in[0].shape(), in[1].shape()});
            return in[0].add(in[1]);
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) {
            Shape[] s = ctx.saved(INPUT_SHAPES);
            return grads(ctx.needsInputGrad(0) ? g.sumTo(s[0]) : null, ctx.needsInputGrad(1) ? g.sumTo(s[1]) : null);
        }
    }

    /** y = a - b. da = sumTo(g), db = -sumTo(g). */
    public static final class Sub extends Function {
        protected Tensor forward(Ctx ctx, Tensor... in) {
            ctx.save(INPUT_SHAPES, new Shape[] {in[0].shape(), in[1].shape()});
            return in[0].sub(in[1]);
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) {
            Shape[] s = ctx.saved(INPUT_SHAPES);
            return grads(ctx.needsInputGrad(0) ? g.sumTo(s[0]) : null, ctx.needsInputGrad(1) ? g.sumTo(s[1]).neg() : null);
        }
    }

    /** y = a * b. da = sumTo(g * b), db = sumTo(g * a). */
    public static final class Mul extends Function {
        protected Tensor forward(Ctx ctx, Tensor... in) {
            ctx.saveForBackward(in[0], in[1]);
            return in[0].mul(in[1]);
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) {
            Tensor a = ctx.saved(0), b = ctx.saved(1);
            return grads(ctx.needsInputGrad(0) ? g.mul(b).sumTo(a.shape()) : null,
                    ctx.needsInputGrad(1) ? g.mul(a).sumTo(b.shape()) : null);
        }
    }

    /** y = a / b. da = sumTo(g / b), db = -sumTo(g * y / b). */
    public static final class Div extends Function {
        protected Tensor forward(Ctx ctx, Tensor... in) {
            Tensor y = in[0].div(in[1]);
            ctx.saveForBackward(in[0], in[1], y);
            return y;
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) {
            Tensor a = ctx.saved(0), b = ctx.saved(1), y = ctx.saved(2);
            Tensor gb = g.div(b);
            return grads(ctx.needsInputGrad(0) ? gb.sumTo(a.shape()) : null,
                    ctx.needsInputGrad(1) ? gb.mul(y).sumTo(b.shape()).neg() : null);
        }
    }

    /**
     * y = min(a, b) (or max). The gradient goes to the smaller (larger) operand; on a tie it is
     * split evenly, as PyTorch does for {@code minimum}/{@code maximum}.
     */
    public static final class MinMax extends Function {
        private final boolean max;
        public MinMax(boolean max) { this.max = max; }
        @Override public String name() { return max ? "Maximum" : "Minimum"; }
        protected Tensor forward(Ctx ctx, Tensor... in) {
            ctx.saveForBackward(in[0], in[1]);
            return max ? in[0].maximum(in[1]) : in[0].minimum(in[1]);
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) {
            Tensor a = ctx.saved(0).broadcastTo(g.shape()), b = ctx.saved(1).broadcastTo(g.shape());
            float[] wa = new float[g.size()];
            for (int i = 0; i < wa.length; i++) {
                float x = a.at(i), y = b.at(i);
                wa[i] = x == y ? 0.5f : ((max ? x > y : x < y) ? 1f : 0f);
            }
            Tensor share = Tensor.wrap(wa, g.shape().dims());
            Tensor ga = g.mul(share);
            return grads(ctx.needsInputGrad(0) ? ga.sumTo(ctx.saved(0).shape()) : null,
                    ctx.needsInputGrad(1) ? g.sub(ga).sumTo(ctx.saved(1).shape()) : null);
        }
    }

    /** y = mask ? a : b (mask a constant label tensor; a, b broadcast to it). da = sumTo(mask ? g : 0), db = sumTo(mask ? 0 : g). */
    public static final class Where extends Function {
        private final LabelTensor mask;
        public Where(LabelTensor mask) { this.mask = mask; }
        protected Tensor forward(Ctx ctx, Tensor... in) {
            ctx.save(INPUT_SHAPES, new Shape[] {in[0].shape(), in[1].shape()});
            return Tensor.where(mask, in[0], in[1]);
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) {
            Shape[] s = ctx.saved(INPUT_SHAPES);
            Tensor ga = Tensor.where(mask, g, Tensor.scalar(0f));     // g where the mask holds, else 0
            return grads(ctx.needsInputGrad(0) ? ga.sumTo(s[0]) : null,
                    ctx.needsInputGrad(1) ? g.sub(ga).sumTo(s[1]) : null);
        }
    }

    // ---- unary ------------------------------------------------------------------------------

    /** y = -x. dx = -g. */
    public static final class Neg extends Function {
        protected Tensor forward(Ctx ctx, Tensor... in) { return in[0].neg(); }
        protected Tensor[] backward(Ctx ctx, Tensor g) { return grads(g.neg()); }
    }

    /** y = exp(x). dx = g * y. */
    public static final class Exp extends Function {
        protected Tensor forward(Ctx ctx, Tensor... in) {
            Tensor y = in[0].exp();
            ctx.saveForBackward(y);
            return y;
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) { return grads(g.mul(ctx.saved(0))); }
    }

    /** y = log(x). dx = g / x. */
    public static final class Log extends Function {
        protected Tensor forward(Ctx ctx, Tensor... in) {
            ctx.saveForBackward(in[0]);
            return in[0].log();
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) { return grads(g.div(ctx.saved(0))); }
    }

    /** y = log(1 + x). dx = g / (1 + x). */
    public static final class Log1p extends Function {
        protected Tensor forward(Ctx ctx, Tensor... in) {
            ctx.saveForBackward(in[0]);
            return in[0].log1p();
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) { return grads(g.div(ctx.saved(0).add(1f))); }
    }

    /** y = sqrt(x). dx = g / (2 y). */
    public static final class Sqrt extends Function {
        protected Tensor forward(Ctx ctx, Tensor... in) {
            Tensor y = in[0].sqrt();
            ctx.saveForBackward(y);
            return y;
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) { return grads(g.div(ctx.saved(0)).mul(0.5f)); }
    }

    /** y = x^p for a constant p. dx = g * p * x^(p - 1). */
    public static final class Pow extends Function {
        private final float p;
        public Pow(float p) { this.p = p; }
        protected Tensor forward(Ctx ctx, Tensor... in) {
            ctx.saveForBackward(in[0]);
            return in[0].pow(p);
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) {
            if (p == 0f) return grads(Tensor.zeros(g.shape()));
            return grads(g.mul(ctx.saved(0).pow(p - 1f)).mul(p));
        }
    }

    /** y = |x|. dx = g * sign(x) (0 at x = 0). */
    public static final class Abs extends Function {
        protected Tensor forward(Ctx ctx, Tensor... in) {
            ctx.saveForBackward(in[0]);
            return in[0].abs();
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) { return grads(GradientOps.absGrad(g, ctx.saved(0))); }
    }

    /** y = min(max(x, lo), hi). dx = g where lo &lt;= x &lt;= hi, else 0. */
    public static final class Clamp extends Function {
        private final float lo, hi;
        public Clamp(float lo, float hi) {
            if (!(lo <= hi)) throw new IllegalArgumentException("clamp: need lo <= hi, got lo=" + lo + ", hi=" + hi);
            this.lo = lo;
            this.hi = hi;
        }
        protected Tensor forward(Ctx ctx, Tensor... in) {
            ctx.saveForBackward(in[0]);
            return in[0].clamp(lo, hi);
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) { return grads(GradientOps.clampGrad(ctx.saved(0), g, lo, hi)); }
    }

    /** y = max(x, 0). dx = g where x > 0, else 0 (the subgradient 0 at x = 0). */
    public static final class Relu extends Function {
        protected Tensor forward(Ctx ctx, Tensor... in) {
            ctx.saveForBackward(in[0]);
            return in[0].relu();
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) { return grads(GradientOps.reluGrad(g, ctx.saved(0))); }
    }

    /**
     * y = 1 / (1 + exp(-x)). dx = g * y * (1 - y).
     * NOTE: a primitive, not exp/add/div: the composite overflows for x below about -88.
     */
    public static final class Sigmoid extends Function {
        protected Tensor forward(Ctx ctx, Tensor... in) {
            Tensor y = in[0].sigmoid();
            ctx.saveForBackward(y);
            return y;
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) { return grads(GradientOps.sigmoidGrad(g, ctx.saved(0))); }
    }

    /** y = tanh(x). dx = g * (1 - y^2). */
    public static final class Tanh extends Function {
        protected Tensor forward(Ctx ctx, Tensor... in) {
            Tensor y = in[0].tanh();
            ctx.saveForBackward(y);
            return y;
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) { return grads(GradientOps.tanhGrad(g, ctx.saved(0))); }
    }

    // ---- reductions -------------------------------------------------------------------------

    /** y = sum of x over axes (every axis when empty). dx = g broadcast back to x's shape. */
    public static final class Sum extends Function {
        private final int[] axes;
        private final boolean keepDims;
        public Sum(int[] axes, boolean keepDims) {
            this.axes = axes.clone();
            this.keepDims = keepDims;
        }
        protected Tensor forward(Ctx ctx, Tensor... in) {
            ctx.save(INPUT_SHAPE, in[0].shape());
            return in[0].sum(axes, keepDims);
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) {
            Shape x = ctx.saved(INPUT_SHAPE);
            return grads(g.reshape(x.reduce(x.axes(axes, "sum"), true)).broadcastTo(x));
        }
    }

    /**
     * y = max (or min) of x over axes. dx = g at the positions that attain the extreme, split
     * evenly between ties (as PyTorch's amax/amin), 0 elsewhere.
     */
    public static final class Extreme extends Function {
        private final int[] axes;
        private final boolean keepDims, max;
        public Extreme(int[] axes, boolean keepDims, boolean max) {
            this.axes = axes.clone();
            this.keepDims = keepDims;
            this.max = max;
        }
        @Override public String name() { return max ? "Max" : "Min"; }
        protected Tensor forward(Ctx ctx, Tensor... in) {
            Tensor y = max ? in[0].max(axes, true) : in[0].min(axes, true);
            ctx.saveForBackward(in[0], y);
            return keepDims ? y : y.reshape(in[0].shape().reduce(in[0].shape().axes(axes, name()), false));
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) {
            Tensor x = ctx.saved(0), y = ctx.saved(1);
            int[] ax = x.shape().axes(axes, name());
            Tensor yb = y.broadcastTo(x.shape());
            float[] hit = new float[x.size()];
            for (int i = 0; i < hit.length; i++) hit[i] = x.at(i) == yb.at(i) ? 1f : 0f;
            Tensor hits = Tensor.wrap(hit, x.shape().dims());
            Tensor count = hits.sum(ax, true);
            Tensor share = g.reshape(y.shape()).div(count);
            return grads(hits.mul(share));
        }
    }

    // ---- along an axis ----------------------------------------------------------------------

    /**
     * y = softmax(x) along an axis. dx = y * (g - sum_axis(g * y)).
     * NOTE: fused for speed (one pass over [B, C, *spatial] with the max subtracted, one saved
     * tensor) and stability; the composite exp(x - max) / sum would make five temporaries.
     */
    public static final class Softmax extends Function {
        private final int axis;
        public Softmax(int axis) { this.axis = axis; }
        protected Tensor forward(Ctx ctx, Tensor... in) {
            Tensor y = in[0].softmax(axis);
            ctx.saveForBackward(y);
            return y;
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) {
            // into the array a leaf input recycled (else a new one), handed over: no fresh zeroed
            // array and no copy into the leaf's gradient per step (e.g. Lovász-Softmax's logits)
            Tensor gx = GradientOps.softmaxBackward(ctx.saved(0), g, axis, ctx.gradientOutput(0));
            ctx.handOverGradient(0);
            return grads(gx);
        }
    }

    /**
     * y = x - logSumExp(x) along an axis. dx = g - exp(y) * sum_axis(g).
     * NOTE: fused for stability (log of a softmax underflows) and speed.
     */
    public static final class LogSoftmax extends Function {
        private final int axis;
        public LogSoftmax(int axis) { this.axis = axis; }
        protected Tensor forward(Ctx ctx, Tensor... in) {
            Tensor y = in[0].logSoftmax(axis);
            ctx.saveForBackward(y);
            return y;
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) {
            // as Softmax: into the leaf's recycled array when there is one, handed over
            Tensor gx = GradientOps.logSoftmaxBackward(ctx.saved(0), g, axis, ctx.gradientOutput(0));
            ctx.handOverGradient(0);
            return grads(gx);
        }
    }

    /**
     * y = log(sum(exp(x))) along an axis. dx = g * exp(x - y) (= g * softmax(x)).
     * NOTE: fused for stability (max subtracted inside the kernel) and speed.
     */
    public static final class LogSumExp extends Function {
        private final int axis;
        private final boolean keepDims;
        public LogSumExp(int axis, boolean keepDims) {
            this.axis = axis;
            this.keepDims = keepDims;
        }
        protected Tensor forward(Ctx ctx, Tensor... in) {
            ctx.saveForBackward(in[0]);
            return in[0].logSumExp(axis, keepDims);
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) {
            Tensor x = ctx.saved(0);
            int ax = x.shape().axis(axis, "axis", "logSumExp");
            Tensor gk = g.reshape(x.shape().with(ax, 1));
            return grads(x.softmax(ax).mul(gk));
        }
    }

    // ---- movement ---------------------------------------------------------------------------

    /** y = x viewed with another shape. dx = g viewed with x's shape. */
    public static final class Reshape extends Function {
        private final int[] dims;
        public Reshape(int[] dims) { this.dims = dims.clone(); }
        protected Tensor forward(Ctx ctx, Tensor... in) {
            ctx.save(INPUT_SHAPE, in[0].shape());
            return in[0].reshape(dims);
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) { return grads(g.reshape(ctx.saved(INPUT_SHAPE))); }
    }

    /** y = x with axes permuted (y axis i = x axis perm[i]). dx = g permuted by the inverse permutation. */
    public static final class Permute extends Function {
        private final int[] perm;
        public Permute(int[] perm) { this.perm = perm.clone(); }
        protected Tensor forward(Ctx ctx, Tensor... in) {
            Tensor y = in[0].permute(perm);
            int[] inv = new int[perm.length];
            for (int i = 0; i < perm.length; i++) inv[in[0].shape().axis(perm[i], "perm", "permute")] = i;
            ctx.save(INVERSE_PERMUTATION, inv);
            return y;
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) { return grads(g.permute(ctx.saved(INVERSE_PERMUTATION))); }
    }

    /** y = x[start:end] along an axis. dx = g padded with zeros back to x's extent. */
    public static final class Slice extends Function {
        private final int axis, start, end;
        public Slice(int axis, int start, int end) {
            this.axis = axis;
            this.start = start;
            this.end = end;
        }
        protected Tensor forward(Ctx ctx, Tensor... in) {
            ctx.save(INPUT_SHAPE, in[0].shape());
            return ownSlice(in[0], axis, start, end);
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) {
            Shape x = ctx.saved(INPUT_SHAPE);
            int ax = x.axis(axis, "axis", "slice");
            int[] before = new int[x.rank()], after = new int[x.rank()];
            before[ax] = start;
            after[ax] = x.dim(ax) - end;
            return grads(g.pad(before, after, 0f));
        }
    }

    /** y = x padded with a constant. dx = g cropped back to x's extent. */
    public static final class Pad extends Function {
        private final int[] before, after;
        private final float value;
        public Pad(int[] before, int[] after, float value) {
            this.before = before.clone();
            this.after = after.clone();
            this.value = value;
        }
        protected Tensor forward(Ctx ctx, Tensor... in) { return in[0].pad(before, after, value); }
        protected Tensor[] backward(Ctx ctx, Tensor g) { return grads(g.crop(before, after)); }
    }

    /** y = the inputs joined along an axis. dx_i = the slice of g that came from input i. */
    public static final class Concat extends Function {
        private final int axis;
        public Concat(int axis) { this.axis = axis; }
        protected Tensor forward(Ctx ctx, Tensor... in) {
            int[] sizes = new int[in.length];
            Tensor y = Tensor.concat(axis, in);
            int ax = y.shape().axis(axis, "axis", "concat");
            for (int i = 0; i < in.length; i++) sizes[i] = in[i].dim(ax);
            ctx.save(PART_SIZES, sizes);
            return y;
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) {
            int[] sizes = ctx.saved(PART_SIZES);
            int ax = g.shape().axis(axis, "axis", "concat");
            Tensor[] out = new Tensor[sizes.length];
            int pos = 0;
            for (int i = 0; i < sizes.length; i++) {
                out[i] = ctx.needsInputGrad(i) ? ownSlice(g, ax, pos, pos + sizes[i]) : null;
                if (out[i] != null) ctx.handOverGradient(i);   // ownSlice copies: a new tensor per part
                pos += sizes[i];
            }
            return out;
        }
    }

    /** y = x broadcast to a shape (NumPy rules). dx = sumTo(g, x's shape). */
    public static final class BroadcastTo extends Function {
        private final Shape target;
        public BroadcastTo(Shape target) { this.target = target; }
        protected Tensor forward(Ctx ctx, Tensor... in) {
            ctx.save(INPUT_SHAPE, in[0].shape());
            return in[0].broadcastTo(target);
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) { return grads(g.sumTo(ctx.saved(INPUT_SHAPE))); }
    }

    /** y = gather(x, axis, index) (PyTorch semantics). dx = g scattered-added at the indices. */
    public static final class Gather extends Function {
        private final int axis;
        private final LabelTensor index;
        public Gather(int axis, LabelTensor index) {
            this.axis = axis;
            this.index = index;
        }
        protected Tensor forward(Ctx ctx, Tensor... in) {
            ctx.save(INPUT_SHAPE, in[0].shape());
            return in[0].gather(axis, index);
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) { return grads(g.scatterAdd(axis, index, ctx.saved(INPUT_SHAPE))); }
    }

    // ---- matrix product ---------------------------------------------------------------------

    /**
     * y = a x b (2-D, or batched with broadcast batch axes). da = g x b^T, db = a^T x g, each
     * summed over the batch axes that were broadcast.
     */
    public static final class MatMul extends Function {
        protected Tensor forward(Ctx ctx, Tensor... in) {
            ctx.saveForBackward(in[0], in[1]);
            return in[0].matMul(in[1]);
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) {
            Tensor a = ctx.saved(0), b = ctx.saved(1);
            Tensor ga = null, gb = null;
            if (ctx.needsInputGrad(0)) ga = reduceBatch(Tensor.matMul(g, false, b, true), a.shape());
            if (ctx.needsInputGrad(1)) gb = reduceBatch(Tensor.matMul(a, true, g, false), b.shape());
            return grads(ga, gb);
        }
        private static Tensor reduceBatch(Tensor t, Shape target) {
            return t.shape().equals(target) ? t : t.sumTo(target);
        }
    }

    /** The names of every primitive, for listings. */
    public static String[] names() {
        return Arrays.stream(Primitives.class.getDeclaredClasses())
                .filter(MultiFunction.class::isAssignableFrom)
                .map(Class::getSimpleName).sorted().toArray(String[]::new);
    }
}
