package org.segloss.tensor;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.segloss.tensor.kernel.Gemm;
import org.segloss.tensor.kernel.Kernels;
import org.segloss.tensor.kernel.Kernels.Binary;
import org.segloss.tensor.kernel.Kernels.Unary;
import org.segloss.tensor.kernel.Parallel;

/**
 * A dense float32 tensor: a row-major block of {@code shape.size()} floats starting at
 * {@code offset} in {@code data}. Operations return new tensors (reshape returns a view that
 * shares the data); the few in-place operations end in {@code i}. Arguments are validated here,
 * the kernels underneath never check. This class knows nothing of gradients: see
 * {@code org.segloss.autograd.Var}.
 */
public final class Tensor {
    /** Elements per task of an elementwise operation (64 KiB of floats). */
    static final int GRAIN = 1 << 14;
    final float[] data;
    final int offset;
    final Shape shape;

    Tensor(float[] data, int offset, Shape shape) {
        this.data = data;
        this.offset = offset;
        this.shape = shape;
    }

    // ---- creation ---------------------------------------------------------------------------

    /** A tensor over a copy of {@code values}. */
    public static Tensor of(float[] values, int... shape) {
        Shape s = Shape.of(shape);
        if (values.length != s.size()) {
            throw new IllegalArgumentException("Tensor.of: values.length must equal the size of shape " + s
                    + " (" + s.size() + "), got " + values.length);
        }
        return new Tensor(values.clone(), 0, s);
    }

    /** A tensor that takes ownership of {@code values} (no copy). */
    public static Tensor wrap(float[] values, int... shape) {
        Shape s = Shape.of(shape);
        if (values.length != s.size()) {
            throw new IllegalArgumentException("Tensor.wrap: values.length must equal the size of shape " + s
                    + " (" + s.size() + "), got " + values.length);
        }
        return new Tensor(values, 0, s);
    }

    public static Tensor scalar(float v) { return new Tensor(new float[] {v}, 0, Shape.SCALAR); }

    public static Tensor zeros(int... shape) { return zeros(Shape.of(shape)); }

    public static Tensor zeros(Shape s) { return new Tensor(new float[s.size()], 0, s); }

    public static Tensor ones(int... shape) { return full(1f, shape); }

    public static Tensor full(float v, int... shape) { return full(v, Shape.of(shape)); }

    public static Tensor full(float v, Shape s) {
        float[] d = new float[s.size()];
        if (v != 0f) Arrays.fill(d, v);
        return new Tensor(d, 0, s);
    }

    /** 0, 1, ..., n - 1. */
    public static Tensor arange(int n) { return arange(0, n, 1); }

    /** start, start + step, ... while below end (above end for a negative step). */
    public static Tensor arange(float start, float end, float step) {
        if (step == 0f || !Float.isFinite(step)) throw new IllegalArgumentException("arange: step must be finite and nonzero, got " + step);
        int n = (int) Math.max(0, Math.ceil((end - start) / step));
        float[] d = new float[n];
        for (int i = 0; i < n; i++) d[i] = start + i * step;
        return new Tensor(d, 0, Shape.of(n));
    }

    /** Seeded standard normal samples. */
    public static Tensor randn(long seed, int... shape) {
        Shape s = Shape.of(shape);
        SplittableRandom r = new SplittableRandom(seed);
        float[] d = new float[s.size()];
        for (int i = 0; i < d.length; i++) d[i] = (float) r.nextGaussian();
        return new Tensor(d, 0, s);
    }

    /** Seeded uniform samples in [0, 1). */
    public static Tensor rand(long seed, int... shape) { return uniform(seed, 0f, 1f, shape); }

    /** Seeded uniform samples in [lo, hi). */
    public static Tensor uniform(long seed, float lo, float hi, int... shape) {
        if (!(hi > lo)) throw new IllegalArgumentException("uniform: hi must be > lo, got lo=" + lo + ", hi=" + hi);
        Shape s = Shape.of(shape);
        SplittableRandom r = new SplittableRandom(seed);
        float[] d = new float[s.size()];
        for (int i = 0; i < d.length; i++) d[i] = lo + (hi - lo) * (float) r.nextDouble();
        return new Tensor(d, 0, s);
    }

    // ---- access -----------------------------------------------------------------------------

    public Shape shape() { return shape; }

    public int size() { return shape.size(); }

    public int rank() { return shape.rank(); }

    public int dim(int axis) { return shape.dim(axis); }

    static int flatIndex(Shape s, int[] idx, String op) {
        if (idx.length != s.rank()) {
            throw new IllegalArgumentException(op + ": index must have " + s.rank() + " coordinates for shape " + s
                    + ", got " + Arrays.toString(idx));
        }
        int flat = 0;
        int[] st = s.strides();
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= s.dim(i)) {
                throw new IllegalArgumentException(op + ": index " + Arrays.toString(idx) + " out of bounds for shape " + s);
            }
            flat += idx[i] * st[i];
        }
        return flat;
    }

    public float get(int... index) { return data[offset + flatIndex(shape, index, "Tensor.get")]; }

    /** The element at a flat row-major position. */
    public float at(int flat) { return data[offset + flat]; }

    /** Sets one element in place. */
    public void set(float v, int... index) { data[offset + flatIndex(shape, index, "Tensor.set")] = v; }

    /** The value of a one-element tensor. */
    public float item() {
        if (size() != 1) throw new IllegalArgumentException("Tensor.item: tensor must have exactly one element, shape is " + shape);
        return data[offset];
    }

    public float[] toArray() { return Arrays.copyOfRange(data, offset, offset + size()); }

    /**
     * Copies the {@code length} elements from flat index {@code from} (row-major) into
     * {@code dst[dstOff ..]}: a row at a time without copying the whole tensor out first (layers
     * that re-lay out their input, e.g. Conv3d's zero padding).
     *
     * @throws IllegalArgumentException if the range leaves the tensor or dst
     */
    public void copyTo(int from, float[] dst, int dstOff, int length) {
        if (from < 0 || length < 0 || from + length > size() || dstOff < 0 || dstOff + length > dst.length) {
            throw new IllegalArgumentException("Tensor.copyTo: elements [" + from + ", " + (from + length) + ") of a tensor of "
                    + size() + " into [" + dstOff + ", " + (dstOff + length) + ") of an array of " + dst.length + " must be in range");
        }
        System.arraycopy(data, offset + from, dst, dstOff, length);
    }

    public Tensor copy() { return new Tensor(toArray(), 0, shape); }

    /** A body that reads a tensor's elements in place: element i (flat, row-major) is {@code data[offset + i]}. */
    @FunctionalInterface
    public interface InPlaceReader {
        void read(float[] data, int offset);
    }

    /**
     * Runs {@code body} on this tensor's storage without copying it: for layers that read a large
     * input several times (a norm's mean, variance and output passes), where {@link #toArray()}
     * would copy megabytes per call. The body must only read: the array may be shared with views
     * of this tensor and with the autograd's saved tensors.
     */
    public void readInPlace(InPlaceReader body) {
        body.read(data, offset);
    }

    /** Largest |this - other| elementwise (shapes must be equal); NaN if either has NaN there. */
    public float maxAbsDiff(Tensor other) {
        requireSameShape("maxAbsDiff", other);
        float m = 0f;
        for (int i = 0; i < size(); i++) {
            float d = Math.abs(at(i) - other.at(i));
            if (Float.isNaN(d)) return Float.NaN;
            m = Math.max(m, d);
        }
        return m;
    }

    /**
     * Whether every element is finite: the max and min kernels propagate NaN and keep infinities,
     * so one parallel pass of each answers it.
     */
    public boolean isFinite() {
        int n = size();
        if (n == 0) return true;
        int nb = (n + Reductions.BLOCK - 1) / Reductions.BLOCK;
        boolean[] bad = new boolean[nb];
        Kernels k = Backend.kernels();
        Parallel.forRange(nb, Math.max(1, GRAIN / Reductions.BLOCK), (s, e) -> {
            for (int b = s; b < e; b++) {
                int start = b * Reductions.BLOCK, len = Math.min(Reductions.BLOCK, n - start);
                bad[b] = !Float.isFinite(k.max(data, offset + start, len)) || !Float.isFinite(k.min(data, offset + start, len));
            }
        });
        for (boolean x : bad) if (x) return false;
        return true;
    }

    void requireSameShape(String op, Tensor other) {
        if (!shape.equals(other.shape)) {
            throw new IllegalArgumentException(op + ": shapes must be equal, expected " + shape + ", got " + other.shape);
        }
    }

    // ---- in place ---------------------------------------------------------------------------

    /** this += other (same shape); used to accumulate gradients. */
    public Tensor addi(Tensor other) {
        requireSameShape("addi", other);
        Kernels k = Backend.kernels();
        Parallel.forRange(size(), GRAIN, (s, e) ->
                k.zip(Binary.ADD, data, offset + s, other.data, other.offset + s, data, offset + s, e - s));
        return this;
    }

    /** this = other (same shape), element by element in place: a gradient written into a reused array. */
    public Tensor assigni(Tensor other) {
        requireSameShape("assigni", other);
        Parallel.forRange(size(), GRAIN, (s, e) -> System.arraycopy(other.data, other.offset + s, data, offset + s, e - s));
        return this;
    }

    /** this *= s. */
    public Tensor muli(float s) {
        if (s == 1f) return this;   // x * 1 == x: e.g. a gradient written at scale 1 and handed an upstream 1
        Kernels k = Backend.kernels();
        Parallel.forRange(size(), GRAIN, (a, e) ->
                k.zipScalarRight(Binary.MUL, data, offset + a, s, data, offset + a, e - a));
        return this;
    }

    /** Sets every element to v. */
    public Tensor filli(float v) {
        Arrays.fill(data, offset, offset + size(), v);
        return this;
    }

    // ---- movement ---------------------------------------------------------------------------

    /** A view with another shape of the same size; one dim may be -1 (inferred). */
    public Tensor reshape(int... dims) {
        return new Tensor(data, offset, inferShape("reshape", dims));
    }

    public Tensor reshape(Shape s) {
        if (s.size() != size()) {
            throw new IllegalArgumentException("reshape: new shape must have " + size() + " elements like " + shape
                    + ", got " + s + " with " + s.size());
        }
        return new Tensor(data, offset, s);
    }

    Shape inferShape(String op, int[] dims) {
        int infer = -1;
        long known = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException(op + ": at most one dim may be -1, got " + Arrays.toString(dims));
                infer = i;
            } else if (dims[i] < 0) {
                throw new IllegalArgumentException(op + ": dims must be >= 0 or -1, got " + Arrays.toString(dims));
            } else {
                known *= dims[i];
            }
        }
        int[] d = dims.clone();
        if (infer >= 0) {
            if (known == 0 || size() % known != 0) {
                throw new IllegalArgumentException(op + ": cannot infer -1 in " + Arrays.toString(dims) + " for " + size()
                        + " elements of shape " + shape);
            }
            d[infer] = (int) (size() / known);
        }
        Shape s = Shape.of(d);
        if (s.size() != size()) {
            throw new IllegalArgumentException(op + ": new shape must have " + size() + " elements like " + shape
                    + ", got " + s + " with " + s.size());
        }
        return s;
    }

    /** Axes reordered: output axis i is input axis perm[i]. Copies. */
    public Tensor permute(int... perm) {
        int r = rank();
        if (perm.length != r) {
            throw new IllegalArgumentException("permute: perm must have " + r + " axes for shape " + shape + ", got " + Arrays.toString(perm));
        }
        boolean[] seen = new boolean[r];
        int[] p = new int[r];
        for (int i = 0; i < r; i++) {
            p[i] = shape.axis(perm[i], "perm", "permute");
            if (seen[p[i]]) throw new IllegalArgumentException("permute: perm must be a permutation of 0.." + (r - 1) + ", got " + Arrays.toString(perm));
            seen[p[i]] = true;
        }
        int[] outDims = new int[r];
        int[] srcStrides = new int[r];
        int[] st = shape.strides();
        for (int i = 0; i < r; i++) {
            outDims[i] = shape.dim(p[i]);
            srcStrides[i] = st[p[i]];
        }
        return strided(data, offset, srcStrides, Shape.of(outDims));
    }

    /** Swaps two axes (copies). */
    public Tensor transpose(int a, int b) {
        int[] perm = new int[rank()];
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        int x = shape.axis(a, "a", "transpose"), y = shape.axis(b, "b", "transpose");
        perm[x] = y;
        perm[y] = x;
        return permute(perm);
    }

    /** Materialises the strided view (src, srcOff, srcStrides) of shape {@code out}. */
    static Tensor strided(float[] src, int srcOff, int[] srcStrides, Shape out) {
        float[] d = new float[out.size()];
        int r = out.rank();
        if (out.size() == 0) return new Tensor(d, 0, out);
        if (r == 0) {
            d[0] = src[srcOff];
            return new Tensor(d, 0, out);
        }
        int last = out.dim(r - 1);
        int lastStride = srcStrides[r - 1];
        int rows = out.size() / last;
        int[] dims = out.dims();
        Parallel.forRange(rows, Math.max(1, GRAIN / Math.max(1, last)), (s, e) -> {
            for (int row = s; row < e; row++) {
                int so = srcOff;
                int rem = row;
                for (int ax = r - 2; ax >= 0; ax--) {
                    so += (rem % dims[ax]) * srcStrides[ax];
                    rem /= dims[ax];
                }
                int o = row * last;
                if (lastStride == 1) System.arraycopy(src, so, d, o, last);
                else if (lastStride == 0) Arrays.fill(d, o, o + last, src[so]);
                else for (int j = 0; j < last; j++) d[o + j] = src[so + j * lastStride];
            }
        });
        return new Tensor(d, 0, out);
    }

    /** Elements [start, end) along one axis. A view when every axis before it has size 1. */
    public Tensor slice(int axis, int start, int end) {
        int ax = shape.axis(axis, "axis", "slice");
        int n = shape.dim(ax);
        if (start < 0 || end > n || start > end) {
            throw new IllegalArgumentException("slice: need 0 <= start <= end <= " + n + " along axis " + ax + " of " + shape
                    + ", got start=" + start + ", end=" + end);
        }
        int outer = shape.product(0, ax), inner = shape.product(ax + 1, rank());
        Shape out = shape.with(ax, end - start);
        if (outer == 1) return new Tensor(data, offset + start * inner, out);
        float[] d = new float[out.size()];
        int run = (end - start) * inner;
        Parallel.forRange(outer, Math.max(1, GRAIN / Math.max(1, run)), (o0, o1) -> {
            for (int o = o0; o < o1; o++) System.arraycopy(data, offset + (o * n + start) * inner, d, o * run, run);
        });
        return new Tensor(d, 0, out);
    }

    /** Joins tensors along an axis; all other dims must match. */
    public static Tensor concat(int axis, Tensor... parts) {
        if (parts.length == 0) throw new IllegalArgumentException("concat: parts must not be empty");
        Shape first = parts[0].shape;
        int ax = first.axis(axis, "axis", "concat");
        int total = 0;
        for (Tensor t : parts) {
            if (t.rank() != first.rank() || !t.shape.with(ax, 1).equals(first.with(ax, 1))) {
                throw new IllegalArgumentException("concat: every part must match " + first + " except along axis " + ax
                        + ", got " + t.shape);
            }
            total += t.shape.dim(ax);
        }
        Shape out = first.with(ax, total);
        int outer = first.product(0, ax), inner = first.product(ax + 1, first.rank());
        float[] d = new float[out.size()];
        int[] start = new int[parts.length];    // where each part's run begins in an output row
        for (int i = 1; i < parts.length; i++) start[i] = start[i - 1] + parts[i - 1].shape.dim(ax) * inner;
        // one copy per (outer row, part), in parallel when the output is large (the U-Net's skip
        // concatenations copy MBs); small outputs in one chunk on the calling thread
        int tasks = outer * parts.length, outRow = total * inner;
        Parallel.forRange(tasks, d.length <= GRAIN ? tasks : 1, (t0, t1) -> {
            for (int task = t0; task < t1; task++) {
                int o = task / parts.length, i = task % parts.length;
                Tensor t = parts[i];
                int run = t.shape.dim(ax) * inner;
                System.arraycopy(t.data, t.offset + o * run, d, o * outRow + start[i], run);
            }
        });
        return new Tensor(d, 0, out);
    }

    /** Constant padding: {@code before[i]} and {@code after[i]} elements of {@code value} around axis i. */
    public Tensor pad(int[] before, int[] after, float value) {
        int r = rank();
        if (before.length != r || after.length != r) {
            throw new IllegalArgumentException("pad: before and after must have " + r + " entries for shape " + shape
                    + ", got " + Arrays.toString(before) + " and " + Arrays.toString(after));
        }
        int[] od = new int[r];
        for (int i = 0; i < r; i++) {
            if (before[i] < 0 || after[i] < 0) {
                throw new IllegalArgumentException("pad: widths must be >= 0, got before=" + Arrays.toString(before) + ", after=" + Arrays.toString(after));
            }
            od[i] = shape.dim(i) + before[i] + after[i];
        }
        Shape out = Shape.of(od);
        Tensor t = full(value, out);
        if (size() == 0) return t;
        int[] ost = out.strides();
        int base = 0;
        for (int i = 0; i < r; i++) base += before[i] * ost[i];
        copyInto(t.data, base, ost);
        return t;
    }

    /** Copies this tensor into dst laid out with the given strides (same rank), starting at base. */
    void copyInto(float[] dst, int base, int[] dstStrides) {
        int r = rank();
        if (r == 0) {
            dst[base] = data[offset];
            return;
        }
        int last = shape.dim(r - 1);
        int rows = size() / Math.max(1, last);
        int[] dims = shape.dims();
        for (int row = 0; row < rows; row++) {
            int doff = base;
            int rem = row;
            for (int ax = r - 2; ax >= 0; ax--) {
                doff += (rem % dims[ax]) * dstStrides[ax];
                rem /= dims[ax];
            }
            if (dstStrides[r - 1] == 1) System.arraycopy(data, offset + row * last, dst, doff, last);
            else for (int j = 0; j < last; j++) dst[doff + j * dstStrides[r - 1]] = data[offset + row * last + j];
        }
    }

    /** The inverse of {@link #pad}: drops {@code before[i]} and {@code after[i]} elements of axis i. */
    public Tensor crop(int[] before, int[] after) {
        int r = rank();
        int[] od = new int[r];
        int[] st = shape.strides();
        int base = offset;
        for (int i = 0; i < r; i++) {
            od[i] = shape.dim(i) - before[i] - after[i];
            if (before[i] < 0 || after[i] < 0 || od[i] < 0) {
                throw new IllegalArgumentException("crop: widths must be >= 0 and fit in shape " + shape + ", got before="
                        + Arrays.toString(before) + ", after=" + Arrays.toString(after));
            }
            base += before[i] * st[i];
        }
        return strided(data, base, st, Shape.of(od));
    }

    /** Materialises a NumPy broadcast of this tensor to {@code target}. */
    public Tensor broadcastTo(Shape target) {
        if (!shape.broadcastsTo(target)) {
            throw new IllegalArgumentException("broadcastTo: shape " + shape + " cannot be broadcast to " + target);
        }
        if (shape.equals(target)) return this;
        return strided(data, offset, Broadcasting.broadcastStrides(shape, target), target);
    }

    /**
     * Sums this tensor down to {@code target}, a shape that broadcasts to this one: the adjoint
     * of {@link #broadcastTo}, used by the backward of every broadcasting op.
     */
    public Tensor sumTo(Shape target) {
        if (shape.equals(target)) return this;
        if (!target.broadcastsTo(shape)) {
            throw new IllegalArgumentException("sumTo: shape " + target + " does not broadcast to " + shape);
        }
        int off = rank() - target.rank();
        int[] axes = new int[rank()];
        int n = 0;
        for (int i = 0; i < rank(); i++) {
            if (i < off || (target.dim(i - off) == 1 && shape.dim(i) != 1)) axes[n++] = i;
        }
        if (n == 0) return reshape(target);
        return Reductions.reduce(this, Reductions.Reduce.SUM, Arrays.copyOf(axes, n), true, "sumTo").reshape(target);
    }

    // ---- elementwise ------------------------------------------------------------------------

    private Tensor map(Unary op) {
        Tensor out = zeros(shape);
        Kernels k = Backend.kernels();
        Parallel.forRange(size(), GRAIN, (s, e) -> k.map(op, data, offset + s, out.data, s, e - s));
        return out;
    }

    public Tensor neg() { return map(Unary.NEG); }
    public Tensor exp() { return map(Unary.EXP); }
    public Tensor log() { return map(Unary.LOG); }
    public Tensor log1p() { return map(Unary.LOG1P); }
    public Tensor sqrt() { return map(Unary.SQRT); }
    public Tensor abs() { return map(Unary.ABS); }
    public Tensor relu() { return map(Unary.RELU); }
    public Tensor sigmoid() { return map(Unary.SIGMOID); }
    public Tensor tanh() { return map(Unary.TANH); }
    public Tensor square() { return map(Unary.SQUARE); }
    public Tensor reciprocal() { return map(Unary.RECIPROCAL); }
    public Tensor sign() { return map(Unary.SIGN); }

    /** x ^ p elementwise (Math.pow semantics). */
    public Tensor pow(float p) {
        Tensor out = zeros(shape);
        Kernels k = Backend.kernels();
        Parallel.forRange(size(), GRAIN, (s, e) -> k.pow(data, offset + s, p, out.data, s, e - s));
        return out;
    }

    /** min(max(x, lo), hi). */
    public Tensor clamp(float lo, float hi) {
        if (!(lo <= hi)) throw new IllegalArgumentException("clamp: need lo <= hi, got lo=" + lo + ", hi=" + hi);
        Tensor out = zeros(shape);
        Kernels k = Backend.kernels();
        Parallel.forRange(size(), GRAIN, (s, e) -> k.clamp(data, offset + s, lo, hi, out.data, s, e - s));
        return out;
    }

    public Tensor add(Tensor o) { return Broadcasting.zip("add", Binary.ADD, this, o); }
    public Tensor sub(Tensor o) { return Broadcasting.zip("sub", Binary.SUB, this, o); }
    public Tensor mul(Tensor o) { return Broadcasting.zip("mul", Binary.MUL, this, o); }
    public Tensor div(Tensor o) { return Broadcasting.zip("div", Binary.DIV, this, o); }
    public Tensor minimum(Tensor o) { return Broadcasting.zip("minimum", Binary.MIN, this, o); }
    public Tensor maximum(Tensor o) { return Broadcasting.zip("maximum", Binary.MAX, this, o); }

    public Tensor add(float s) { return Broadcasting.zip("add", Binary.ADD, this, scalar(s)); }
    public Tensor mul(float s) { return Broadcasting.zip("mul", Binary.MUL, this, scalar(s)); }

    /**
     * mask != 0 ? a : b, elementwise. a and b broadcast to the mask's shape.
     */
    public static Tensor where(LabelTensor mask, Tensor a, Tensor b) {
        Tensor ab = a.broadcastTo(mask.shape), bb = b.broadcastTo(mask.shape);
        Tensor res = zeros(mask.shape);
        Kernels k = Backend.kernels();
        Parallel.forRange(res.size(), GRAIN, (s, e) ->
                k.select(mask.data, mask.offset + s, ab.data, ab.offset + s, bb.data, bb.offset + s, res.data, s, e - s));
        return res;
    }

    // ---- reductions -------------------------------------------------------------------------

    /** Sum over {@code axes} (every axis when empty). */
    public Tensor sum(int[] axes, boolean keepDims) { return Reductions.reduce(this, Reductions.Reduce.SUM, axes, keepDims, "sum"); }

    /** Sum of every element, as a scalar tensor. */
    public Tensor sum() { return sum(new int[0], false); }

    /** Sum of every element, accumulated in double. */
    public double sumDouble() { return Reductions.sumDouble(this); }

    public Tensor mean(int[] axes, boolean keepDims) {
        int[] ax = shape.axes(axes, "mean");
        int count = 1;
        for (int a : ax) count *= shape.dim(a);
        if (count == 0) throw new IllegalArgumentException("mean: reduced axes " + Arrays.toString(ax) + " of " + shape + " are empty");
        return sum(ax, keepDims).muli(1f / count);
    }

    public Tensor mean() { return mean(new int[0], false); }

    public Tensor max(int[] axes, boolean keepDims) { return Reductions.reduce(this, Reductions.Reduce.MAX, axes, keepDims, "max"); }

    public Tensor min(int[] axes, boolean keepDims) { return Reductions.reduce(this, Reductions.Reduce.MIN, axes, keepDims, "min"); }

    /** Index of the largest element along an axis (the first one on ties; NaN counts as largest). */
    public LabelTensor argmax(int axis) {
        int ax = shape.axis(axis, "axis", "argmax");
        int n = shape.dim(ax);
        if (n == 0) throw new IllegalArgumentException("argmax: axis " + ax + " of " + shape + " is empty");
        int outer = shape.product(0, ax), inner = shape.product(ax + 1, rank());
        int[] out = new int[outer * inner];
        Parallel.forRange(outer * inner, GRAIN, (s, e) -> {
            for (int t = s; t < e; t++) {
                int o = t / inner, j = t % inner;
                int base = offset + o * n * inner + j;
                int best = 0;
                float bv = data[base];
                for (int kk = 1; kk < n && !Float.isNaN(bv); kk++) {
                    float v = data[base + kk * inner];
                    if (v > bv || Float.isNaN(v)) {
                        bv = v;
                        best = kk;
                    }
                }
                out[t] = best;
            }
        });
        return new LabelTensor(out, 0, shape.remove(ax));
    }

    // ---- along an axis ----------------------------------------------------------------------

    /** Softmax along an axis, stable (max subtracted first). */
    public Tensor softmax(int axis) { return AxisTasks.alongAxis(this, "softmax", axis, Kernels::softmax); }

    /**
     * {@link #softmax(int)} written into {@code out} (this tensor's shape, not sharing its array;
     * every element is overwritten, so out may hold anything before), the same bits; returns out.
     * For a buffer reused from step to step instead of a new zeroed array per call.
     */
    public Tensor softmax(int axis, Tensor out) {
        if (out == null) throw new IllegalArgumentException("softmax: out must not be null (softmax(axis) makes a new tensor)");
        if (!out.shape.equals(shape)) throw new IllegalArgumentException("softmax: out must have the input's shape " + shape + ", got " + out.shape);
        if (out.data == data) throw new IllegalArgumentException("softmax: out must not share its array with the input " + shape);
        return AxisTasks.alongAxis(this, "softmax", axis, Kernels::softmax, out);
    }

    /** log(softmax) along an axis, by log-sum-exp. */
    public Tensor logSoftmax(int axis) { return AxisTasks.alongAxis(this, "logSoftmax", axis, Kernels::logSoftmax); }

    /** log(sum(exp(x))) along an axis, stable; -Infinity where every element is -Infinity. */
    public Tensor logSumExp(int axis, boolean keepDims) {
        int ax = shape.axis(axis, "axis", "logSumExp");
        int n = shape.dim(ax), outer = shape.product(0, ax), inner = shape.product(ax + 1, rank());
        if (n == 0) throw new IllegalArgumentException("logSumExp: axis " + ax + " of " + shape + " is empty");
        Shape os = shape.reduce(new int[] {ax}, keepDims);
        Tensor res = zeros(os);
        if (res.size() == 0) return res;
        Kernels k = Backend.kernels();
        AxisTasks.forAxisTasks(outer, n, inner, (o, j0, cols) ->
                k.logSumExp(data, offset + o * n * inner + j0, n, inner, cols, res.data, o * inner + j0));
        return res;
    }

    // ---- kernels for operations outside this package (the autograd's gradient operations) ---

    /**
     * Any binary kernel op with NumPy broadcasting, the engine behind {@link #add(Tensor)},
     * {@link #mul(Tensor)} and the others; the autograd's gradient ops use it for the kernel
     * ops that are not arithmetic ({@code RELU_GRAD}, {@code SIGMOID_GRAD}, ...).
     *
     * @param name the operation's name in error messages
     */
    public Tensor elementwise(String name, Binary op, Tensor other) { return Broadcasting.zip(name, op, this, other); }

    /** A kernel over a run of one operand into a new output: {@code out[i] = f(x[i])}. */
    @FunctionalInterface
    public interface RunKernel {
        void run(Kernels k, float[] x, int xOff, float[] out, int outOff, int n);
    }

    /**
     * A new tensor from this one by {@code body}, in parallel element ranges: for elementwise ops
     * with parameters that {@link Kernels.Unary} does not cover (e.g. the slope of a leaky ReLU).
     */
    public Tensor elementwise(String name, RunKernel body) {
        Tensor out = zeros(shape);
        Kernels k = Backend.kernels();
        Parallel.forRange(size(), GRAIN, (s, e) -> body.run(k, data, offset + s, out.data, s, e - s));
        return out;
    }

    /** A kernel over equal runs of two operands into a new output: {@code out[i] = f(a[i], b[i])}. */
    @FunctionalInterface
    public interface PairKernel {
        void run(Kernels k, float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n);
    }

    /** A new tensor from this one and {@code other} (equal shapes) by {@code body}, in parallel element ranges. */
    public Tensor elementwise(String name, Tensor other, PairKernel body) {
        requireSameShape(name, other);
        Tensor out = zeros(shape);
        Kernels k = Backend.kernels();
        Parallel.forRange(size(), GRAIN, (s, e) -> body.run(k, data, offset + s, other.data, other.offset + s, out.data, s, e - s));
        return out;
    }

    /**
     * As {@link #elementwise(String, Tensor, PairKernel)}, written over this tensor in place
     * ({@code this[i] = f(this[i], other[i])}; the kernel must be elementwise): for a gradient the
     * caller owns alone, instead of a new array.
     */
    public Tensor elementwisei(String name, Tensor other, PairKernel body) {
        requireSameShape(name, other);
        Kernels k = Backend.kernels();
        Parallel.forRange(size(), GRAIN, (s, e) -> body.run(k, data, offset + s, other.data, other.offset + s, data, offset + s, e - s));
        return this;
    }

    /** An axis kernel over two operands of one shape, such as {@link Kernels#softmaxBackward}. */
    @FunctionalInterface
    public interface PairAxisKernel {
        void run(Kernels k, float[] y, int yOff, float[] g, int gOff, int n, int inner, int cols, float[] out, int outOff);
    }

    /**
     * A new tensor from this one and {@code other} (equal shapes) by an axis kernel along
     * {@code axis}, in the same tasks as {@link #softmax(int)}.
     */
    public Tensor alongAxis(String name, int axis, Tensor other, PairAxisKernel body) {
        return alongAxis(name, axis, other, body, null);
    }

    /**
     * {@link #alongAxis(String, int, Tensor, PairAxisKernel)} written into {@code out} (this
     * tensor's shape, sharing neither operand's array; every element is overwritten),
     * or into a new tensor when out is null; returns the result.
     */
    public Tensor alongAxis(String name, int axis, Tensor other, PairAxisKernel body, Tensor out) {
        requireSameShape(name, other);
        if (out != null) {
            if (!out.shape.equals(shape)) {
                throw new IllegalArgumentException(name + ": out must have the operands' shape " + shape + ", got " + out.shape);
            }
            if (out.data == data || out.data == other.data) {
                throw new IllegalArgumentException(name + ": out must not share its array with an operand " + shape);
            }
        }
        return AxisTasks.alongAxis(this, name, axis, (k, x, xo, n, inner, cols, o, oo) ->
                body.run(k, x, xo, other.data, other.offset + (xo - offset), n, inner, cols, o, oo), out == null ? zeros(shape) : out);
    }

    // ---- indexing ---------------------------------------------------------------------------

    /**
     * PyTorch's gather: {@code out[i][j][k] = x[i][index[i][j][k]][k]} for axis 1 (likewise for
     * any axis). index has this tensor's rank and sizes no larger than this tensor's on every
     * other axis; the output has the index's shape.
     */
    public Tensor gather(int axis, LabelTensor index) {
        int ax = shape.axis(axis, "axis", "gather");
        checkIndex("gather", ax, index);
        Tensor out = zeros(index.shape);
        int[] pos = indexedOffsets("gather", shape, ax, index);
        for (int t = 0; t < pos.length; t++) out.data[t] = data[offset + pos[t]];
        return out;
    }

    /** The adjoint of gather: a tensor of {@code target} shape with this tensor's values added at the indices. */
    public Tensor scatterAdd(int axis, LabelTensor index, Shape target) {
        Tensor res = zeros(target);
        int ax = target.axis(axis, "axis", "scatterAdd");
        res.checkIndex("scatterAdd", ax, index);
        if (!index.shape.equals(shape)) {
            throw new IllegalArgumentException("scatterAdd: index shape must equal the source shape " + shape + ", got " + index.shape);
        }
        int[] pos = indexedOffsets("scatterAdd", target, ax, index);
        // sequential: duplicate indices add in a fixed order
        for (int t = 0; t < pos.length; t++) res.data[pos[t]] += data[offset + t];
        return res;
    }

    /**
     * For every element t of {@code index}: the flat position in a tensor of shape {@code s} of
     * the element whose coordinates are t's, with the coordinate on {@code ax} replaced by the
     * index value (gather reads there, scatterAdd writes there).
     */
    private static int[] indexedOffsets(String op, Shape s, int ax, LabelTensor index) {
        int[] st = s.strides();
        int[] idims = index.shape.dims();
        int r = s.rank(), n = s.dim(ax);
        // index viewed as [outer, J, inner] around ax; s may be larger than index on the other
        // axes, so the outer and inner parts each walk their own axes with an odometer (no
        // division per element: this runs once per voxel of a label map).
        int inner = index.shape.product(ax + 1, r);
        int outer = index.shape.product(0, ax);
        int[] innerPos = new int[inner];
        int[] coord = new int[r];
        for (int i = 0, p = 0; i < inner; i++) {
            innerPos[i] = p;
            for (int a = r - 1; a > ax; a--) {          // advance the inner odometer
                p += st[a];
                if (++coord[a] < idims[a]) break;
                p -= coord[a] * st[a];
                coord[a] = 0;
            }
        }
        int[] pos = new int[index.size()];
        int[] outerPos = new int[outer];
        Arrays.fill(coord, 0);
        for (int o = 0, p = 0; o < outer; o++) {
            outerPos[o] = p;
            for (int a = ax - 1; a >= 0; a--) {          // advance the outer odometer
                p += st[a];
                if (++coord[a] < idims[a]) break;
                p -= coord[a] * st[a];
                coord[a] = 0;
            }
        }
        int rows = outer * idims[ax];
        // in parallel rows of `inner` positions, each computed on its own (a loss's label gather on
        // [2, 1, 32^3] spent as long here, serially, as the softmax itself)
        Parallel.forRange(rows, Math.max(1, GRAIN / Math.max(1, inner)), (r0, r1) -> {
            for (int row = r0; row < r1; row++) {
                int base = outerPos[row / idims[ax]];
                for (int i = 0, t = row * inner; i < inner; i++, t++) {
                    int c = index.data[index.offset + t];
                    if (c < 0 || c >= n) {
                        throw new IllegalArgumentException(op + ": index values must be in [0, " + n + ") along axis " + ax + ", got " + c);
                    }
                    pos[t] = base + c * st[ax] + innerPos[i];
                }
            }
        });
        return pos;
    }

    private void checkIndex(String op, int ax, LabelTensor index) {
        if (index.shape.rank() != rank()) {
            throw new IllegalArgumentException(op + ": index must have rank " + rank() + " like " + shape + ", got " + index.shape);
        }
        for (int a = 0; a < rank(); a++) {
            if (a != ax && index.shape.dim(a) > shape.dim(a)) {
                throw new IllegalArgumentException(op + ": index size on axis " + a + " must be <= " + shape.dim(a)
                        + " (shape " + shape + "), got index shape " + index.shape);
            }
        }
    }

    // ---- matrix product ---------------------------------------------------------------------

    /**
     * Matrix product. 2-D: [m, k] x [k, n] -> [m, n]. Batched: [..., m, k] x [..., k, n] with
     * the batch axes broadcast (NumPy matmul rules; a 2-D operand is shared by every batch).
     */
    public Tensor matMul(Tensor b) {
        return matMul(this, false, b, false);
    }

    /** op(a) x op(b), where op transposes the last two axes when its flag is set. */
    public static Tensor matMul(Tensor a, boolean transA, Tensor b, boolean transB) {
        if (a.rank() < 2 || b.rank() < 2) {
            throw new IllegalArgumentException("matMul: operands must have rank >= 2, got " + a.shape + " and " + b.shape);
        }
        int ar = a.rank(), br = b.rank();
        int m = transA ? a.dim(ar - 1) : a.dim(ar - 2), ka = transA ? a.dim(ar - 2) : a.dim(ar - 1);
        int kb = transB ? b.dim(br - 1) : b.dim(br - 2), n = transB ? b.dim(br - 2) : b.dim(br - 1);
        if (ka != kb) {
            throw new IllegalArgumentException("matMul: inner dimensions must match, got " + a.shape + (transA ? "^T" : "")
                    + " x " + b.shape + (transB ? "^T" : "") + " (" + ka + " vs " + kb + ")");
        }
        Shape ab = Shape.of(Arrays.copyOf(a.shape.dims(), ar - 2)), bb = Shape.of(Arrays.copyOf(b.shape.dims(), br - 2));
        Shape batch = Shape.broadcast("matMul (batch axes)", ab, bb);
        int[] od = Arrays.copyOf(batch.dims(), batch.rank() + 2);
        od[batch.rank()] = m;
        od[batch.rank() + 1] = n;
        Tensor c = zeros(Shape.of(od));
        int lda = a.dim(ar - 1), ldb = b.dim(br - 1);
        Kernels k = Backend.kernels();
        if (batch.size() == 1 || (ab.size() == batch.size() && bb.size() == batch.size()) || ab.size() == 1 || bb.size() == 1) {
            int sa = ab.size() == 1 ? 0 : a.dim(ar - 2) * a.dim(ar - 1);
            int sb = bb.size() == 1 ? 0 : b.dim(br - 2) * b.dim(br - 1);
            Gemm.gemmBatched(k, batch.size(), transA, transB, m, n, ka, a.data, a.offset, sa, lda,
                    b.data, b.offset, sb, ldb, 0f, c.data, 0, m * n, n);
        } else {
            Tensor ae = a.broadcastTo(batchShape(batch, a.shape)), be = b.broadcastTo(batchShape(batch, b.shape));
            Gemm.gemmBatched(k, batch.size(), transA, transB, m, n, ka, ae.data, ae.offset, a.dim(ar - 2) * a.dim(ar - 1), lda,
                    be.data, be.offset, b.dim(br - 2) * b.dim(br - 1), ldb, 0f, c.data, 0, m * n, n);
        }
        return c;
    }

    private static Shape batchShape(Shape batch, Shape s) {
        int[] d = Arrays.copyOf(batch.dims(), batch.rank() + 2);
        d[batch.rank()] = s.dim(s.rank() - 2);
        d[batch.rank() + 1] = s.dim(s.rank() - 1);
        return Shape.of(d);
    }

    @Override
    public String toString() {
        if (size() <= 16) return "Tensor" + shape + " " + Arrays.toString(toArray());
        return "Tensor" + shape;
    }
}
