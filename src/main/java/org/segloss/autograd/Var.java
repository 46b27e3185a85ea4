package org.segloss.autograd;

import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;

/**
 * A node of the computation graph: a tensor value and, for values that need one, a gradient.
 * Leaves made with {@link #param} require a gradient; {@link #constant} wraps data that never
 * does (targets, distance maps and other constants are plain {@link Tensor}s or
 * {@link LabelTensor}s in every API, so they cannot receive one). Every operation here records a
 * node (see {@link Primitives}) only when an input requires a gradient and grad mode is on.
 *
 * <pre>{@code
 * Var w = Var.param(Tensor.randn(0, 3, 4));
 * Var loss = w.mul(w).sum();          // sum of squares
 * loss.backward();                    // w.grad() == 2 * w
 * }</pre>
 */
public final class Var {
    private final Tensor value;
    private final boolean requiresGrad;
    final Node node;            // null for leaves and constants
    final int outputIndex;
    private Tensor grad;
    // arrays of this leaf's shape for its next gradients, after recycleGrad: the gradient it let go,
    // and the owned gradients of a step that were added into another (at most MAX_SPARES)
    private java.util.ArrayDeque<Tensor> spares;
    private static final int MAX_SPARES = 4;

    private Var(Tensor value, boolean requiresGrad) {
        this.value = value;
        this.requiresGrad = requiresGrad;
        this.node = null;
        this.outputIndex = 0;
    }

    Var(Tensor value, Node node, int outputIndex) {
        this.value = value;
        this.requiresGrad = true;
        this.node = node;
        this.outputIndex = outputIndex;
    }

    /** A leaf that requires a gradient (a parameter or an input under study). */
    public static Var param(Tensor value) { return new Var(value, true); }

    /** A value that never requires a gradient. */
    public static Var constant(Tensor value) { return new Var(value, false); }

    public Tensor value() { return value; }

    public Shape shape() { return value.shape(); }

    public boolean requiresGrad() { return requiresGrad; }

    /** Whether this is a leaf (made by param or constant, not by an operation). */
    public boolean isLeaf() { return node == null; }

    /** The accumulated gradient of a leaf, or null before any backward reached it. */
    public Tensor grad() { return grad; }

    /** Forgets the accumulated gradient (and the arrays kept by {@link #recycleGrad}). */
    public void zeroGrad() {
        grad = null;
        spares = null;
    }

    /**
     * Forgets the accumulated gradient like {@link #zeroGrad}, but keeps its array for the next
     * one: the next backward that reaches this leaf writes its gradient into the same array
     * instead of allocating a new one. For loops that take a fresh gradient of the same input
     * every step (a loss under study, a benchmark): a new full-size array costs its zeroing and,
     * past the CPU caches, cold memory (about 3 ms for 32 MiB on a 2-core Xeon), which is what a
     * fused loss otherwise spends most of its time on; PyTorch gets the same effect from its
     * allocator when {@code x.grad = None}. The Tensor that {@link #grad()} returned before is
     * therefore overwritten by the next backward (and a view of it with it): call this only once
     * that gradient is no longer read. When several ops hand over a gradient of this leaf in one
     * backward (e.g. Dice + CE), the ones added into the first are kept too (up to four arrays),
     * so that a loop of such steps allocates none; {@link #zeroGrad} lets them all go.
     */
    public void recycleGrad() {
        if (spares == null) spares = new java.util.ArrayDeque<>();
        if (grad != null) keepSpare(grad);
        grad = null;
    }

    private void keepSpare(Tensor t) {
        if (spares.size() < MAX_SPARES) spares.push(t);
    }

    /** An array kept by {@link #recycleGrad}, taken (this leaf no longer holds it), or null. */
    Tensor takeRecycledGrad() {
        return spares == null ? null : spares.poll();
    }

    void accumulate(Tensor g) {
        accumulate(g, false);
    }

    /**
     * As accumulate(g); when {@code owned} (a fresh tensor nobody else holds) the first gradient
     * is kept, not copied; a first gradient that is not owned is copied into a recycled array
     * when there is one ({@link #recycleGrad}).
     */
    void accumulate(Tensor g, boolean owned) {
        if (grad != null) {
            grad.addi(g);
            if (owned && spares != null) keepSpare(g);   // nobody else holds g: the next step's array
        } else if (owned) {
            grad = g;
        } else {
            Tensor spare = takeRecycledGrad();
            grad = spare != null ? spare.assigni(g) : g.copy();
        }
    }

    /** The same value, cut from the graph. */
    public Var detach() { return constant(value); }

    /** The value of a one-element Var. */
    public float item() { return value.item(); }

    /** Backpropagates from a one-element Var (seed 1). */
    public void backward() {
        if (value.size() != 1) {
            throw new IllegalArgumentException("backward: the root must have one element (a loss), got shape " + shape()
                    + "; pass a seed gradient for other shapes");
        }
        backward(Tensor.full(1f, shape()));
    }

    /** Backpropagates the gradient {@code seed} (shape of this Var) through the graph. */
    public void backward(Tensor seed) {
        if (!seed.shape().equals(shape())) {
            throw new IllegalArgumentException("backward: seed must have the root's shape " + shape() + ", got " + seed.shape());
        }
        if (!requiresGrad) {
            throw new IllegalStateException("backward: this Var does not require a gradient (no input did, or it was built"
                    + " under NoGrad)");
        }
        Graph.backward(this, seed);
    }

    // ---- arithmetic -------------------------------------------------------------------------

    public Var add(Var o) { return new Primitives.Add().apply(this, o); }
    public Var sub(Var o) { return new Primitives.Sub().apply(this, o); }
    public Var mul(Var o) { return new Primitives.Mul().apply(this, o); }
    public Var div(Var o) { return new Primitives.Div().apply(this, o); }
    public Var add(Tensor c) { return add(constant(c)); }
    public Var sub(Tensor c) { return sub(constant(c)); }
    public Var mul(Tensor c) { return mul(constant(c)); }
    public Var div(Tensor c) { return div(constant(c)); }
    public Var add(float c) { return add(Tensor.scalar(c)); }
    public Var sub(float c) { return sub(Tensor.scalar(c)); }
    public Var mul(float c) { return mul(Tensor.scalar(c)); }
    public Var div(float c) { return div(Tensor.scalar(c)); }
    /** c - this. */
    public Var rsub(float c) { return constant(Tensor.scalar(c)).sub(this); }
    /** c / this. */
    public Var rdiv(float c) { return constant(Tensor.scalar(c)).div(this); }
    public Var minimum(Var o) { return new Primitives.MinMax(false).apply(this, o); }
    public Var maximum(Var o) { return new Primitives.MinMax(true).apply(this, o); }

    public Var neg() { return new Primitives.Neg().apply(this); }
    public Var exp() { return new Primitives.Exp().apply(this); }
    public Var log() { return new Primitives.Log().apply(this); }
    public Var log1p() { return new Primitives.Log1p().apply(this); }
    public Var sqrt() { return new Primitives.Sqrt().apply(this); }
    public Var pow(float p) { return new Primitives.Pow(p).apply(this); }
    /** x * x, composed as mul (its gradient 2 x g follows from the product rule). */
    public Var square() { return mul(this); }
    public Var abs() { return new Primitives.Abs().apply(this); }
    public Var clamp(float lo, float hi) { return new Primitives.Clamp(lo, hi).apply(this); }
    public Var relu() { return new Primitives.Relu().apply(this); }
    public Var sigmoid() { return new Primitives.Sigmoid().apply(this); }
    public Var tanh() { return new Primitives.Tanh().apply(this); }

    /** mask != 0 ? a : b. */
    public static Var where(LabelTensor mask, Var a, Var b) { return new Primitives.Where(mask).apply(a, b); }

    // ---- reductions -------------------------------------------------------------------------

    /** Sum over axes (every axis when none are given), dropping them. */
    public Var sum(int... axes) { return sum(axes, false); }
    public Var sum(int[] axes, boolean keepDims) { return new Primitives.Sum(axes, keepDims).apply(this); }

    /** Mean over axes (every axis when none are given): sum times 1/count, composed. */
    public Var mean(int... axes) { return mean(axes, false); }
    public Var mean(int[] axes, boolean keepDims) {
        int[] ax = shape().axes(axes, "mean");
        long count = 1;
        for (int a : ax) count *= shape().dim(a);
        if (count == 0) throw new IllegalArgumentException("mean: the reduced axes of " + shape() + " are empty");
        return sum(ax, keepDims).mul(1f / count);
    }

    public Var max(int[] axes, boolean keepDims) { return new Primitives.Extreme(axes, keepDims, true).apply(this); }
    public Var min(int[] axes, boolean keepDims) { return new Primitives.Extreme(axes, keepDims, false).apply(this); }

    public Var softmax(int axis) { return new Primitives.Softmax(axis).apply(this); }
    public Var logSoftmax(int axis) { return new Primitives.LogSoftmax(axis).apply(this); }
    public Var logSumExp(int axis, boolean keepDims) { return new Primitives.LogSumExp(axis, keepDims).apply(this); }

    // ---- movement ---------------------------------------------------------------------------

    public Var reshape(int... dims) { return new Primitives.Reshape(dims).apply(this); }
    public Var permute(int... perm) { return new Primitives.Permute(perm).apply(this); }
    public Var transpose(int a, int b) {
        int[] perm = new int[shape().rank()];
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        int x = shape().axis(a, "a", "transpose"), y = shape().axis(b, "b", "transpose");
        perm[x] = y;
        perm[y] = x;
        return permute(perm);
    }
    public Var slice(int axis, int start, int end) { return new Primitives.Slice(axis, start, end).apply(this); }
    public Var pad(int[] before, int[] after, float value) { return new Primitives.Pad(before, after, value).apply(this); }
    public Var broadcastTo(Shape target) { return new Primitives.BroadcastTo(target).apply(this); }
    public Var gather(int axis, LabelTensor index) { return new Primitives.Gather(axis, index).apply(this); }
    public static Var concat(int axis, Var... parts) { return new Primitives.Concat(axis).apply(parts); }

    public Var matMul(Var o) { return new Primitives.MatMul().apply(this, o); }

    @Override
    public String toString() {
        return "Var(" + value + (node != null ? ", fn=" + node.fn.name() : requiresGrad ? ", leaf" : ", constant") + ")";
    }
}
