package org.segloss.tensor;

import java.util.Arrays;

/**
 * A dense integer tensor: label maps ({@code [B, *spatial]}), indices and masks. Targets are
 * labels, never floats, so they have their own type; a LabelTensor can never receive a gradient.
 */
public final class LabelTensor {
    final int[] data;
    final int offset;
    final Shape shape;

    LabelTensor(int[] data, int offset, Shape shape) {
        this.data = data;
        this.offset = offset;
        this.shape = shape;
    }

    /** Wraps a copy of {@code values} with the given shape. */
    public static LabelTensor of(int[] values, int... shape) {
        Shape s = Shape.of(shape);
        if (values.length != s.size()) {
            throw new IllegalArgumentException("LabelTensor.of: values.length must equal the size of shape "
                    + s + " (" + s.size() + "), got " + values.length);
        }
        return new LabelTensor(values.clone(), 0, s);
    }

    public static LabelTensor zeros(int... shape) {
        Shape s = Shape.of(shape);
        return new LabelTensor(new int[s.size()], 0, s);
    }

    /** 0, 1, ..., n - 1. */
    public static LabelTensor arange(int n) {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) v[i] = i;
        return new LabelTensor(v, 0, Shape.of(n));
    }

    /** Seeded uniform labels in [0, numClasses). */
    public static LabelTensor randomLabels(long seed, int numClasses, int... shape) {
        if (numClasses < 1) throw new IllegalArgumentException("LabelTensor.randomLabels: numClasses must be >= 1, got " + numClasses);
        Shape s = Shape.of(shape);
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        int[] v = new int[s.size()];
        for (int i = 0; i < v.length; i++) v[i] = r.nextInt(numClasses);
        return new LabelTensor(v, 0, s);
    }

    public Shape shape() { return shape; }

    public int size() { return shape.size(); }

    public int get(int... index) { return data[offset + Tensor.flatIndex(shape, index, "LabelTensor.get")]; }

    /** The element at a flat row-major position. */
    public int at(int flat) { return data[offset + flat]; }

    public int[] toArray() { return Arrays.copyOfRange(data, offset, offset + size()); }

    /** A view with another shape of the same size. */
    public LabelTensor reshape(int... dims) {
        Shape s = Shape.of(dims);
        if (s.size() != size()) {
            throw new IllegalArgumentException("LabelTensor.reshape: new shape " + s + " must have " + size()
                    + " elements like " + shape + ", got " + s.size());
        }
        return new LabelTensor(data, offset, s);
    }

    /** 1 where the label equals {@code value}, else 0. */
    public LabelTensor eq(int value) {
        int[] v = new int[size()];
        for (int i = 0; i < v.length; i++) v[i] = data[offset + i] == value ? 1 : 0;
        return new LabelTensor(v, 0, shape);
    }

    /** 1 where the label differs from {@code value}, else 0. */
    public LabelTensor ne(int value) {
        int[] v = new int[size()];
        for (int i = 0; i < v.length; i++) v[i] = data[offset + i] != value ? 1 : 0;
        return new LabelTensor(v, 0, shape);
    }

    /** How many elements equal {@code value} (by the vector compare kernel, in parallel chunks; exact). */
    public long count(int value) {
        int n = size(), chunk = ChannelChunks.CHUNK, tasks = (n + chunk - 1) / chunk;
        int[] part = new int[tasks];
        org.segloss.tensor.kernel.Kernels k = Backend.kernels();
        org.segloss.tensor.kernel.Parallel.forRange(tasks, Math.max(1, Tensor.GRAIN / chunk), (s, e) -> {
            for (int t = s; t < e; t++) part[t] = k.countEqual(data, offset + t * chunk, value, Math.min(chunk, n - t * chunk));
        });
        long c = 0;
        for (int v : part) c += v;
        return c;
    }

    /**
     * Smallest and largest label, {@code {min, max}}; {@code {0, -1}} when empty. In parallel runs
     * of {@link #RANGE_RUN} labels (a loss checks its labels with this on the calling thread before
     * any kernel runs: a [2, 64³] map took about 50 µs there, with the other threads idle); min and
     * max do not depend on the order, so neither does the result.
     */
    public int[] range() {
        int n = size();
        if (n == 0) return new int[] {0, -1};
        int runs = (n + RANGE_RUN - 1) / RANGE_RUN;
        int[] lo = new int[runs], hi = new int[runs];
        org.segloss.tensor.kernel.Parallel.forEach(runs, r -> {
            int min = Integer.MAX_VALUE, max = Integer.MIN_VALUE;
            // a plain min/max loop the JIT vectorises
            for (int i = offset + r * RANGE_RUN, end = offset + Math.min(n, (r + 1) * RANGE_RUN); i < end; i++) {
                int v = data[i];
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            lo[r] = min;
            hi[r] = max;
        });
        int min = Integer.MAX_VALUE, max = Integer.MIN_VALUE;
        for (int r = 0; r < runs; r++) {
            min = Math.min(min, lo[r]);
            max = Math.max(max, hi[r]);
        }
        return new int[] {min, max};
    }

    /** Labels per part of {@link #range()}: 64 Ki (256 KiB), a few parts per thread for a 3-D batch. */
    static final int RANGE_RUN = 1 << 16;

    /** Labels as floats (e.g. a binary mask used as a weight). */
    public Tensor toFloat() {
        float[] v = new float[size()];
        for (int i = 0; i < v.length; i++) v[i] = data[offset + i];
        return new Tensor(v, 0, shape);
    }

    /**
     * One-hot encoding with the class axis inserted at axis 1: labels {@code [B, *spatial]}
     * become {@code [B, numClasses, *spatial]}.
     *
     * @throws IllegalArgumentException if a label is outside [0, numClasses)
     */
    public Tensor oneHot(int numClasses) {
        return oneHot(numClasses, Integer.MIN_VALUE);
    }

    /**
     * Per-sample class counts {@code [B, numClasses]} of labels {@code [B, *spatial]}: the sums
     * over the voxels of {@link #oneHot(int, int)}, without making it (labels equal to
     * ignoreIndex or outside [0, numClasses) count for no class). Exact integers as floats.
     */
    public Tensor classCounts(int numClasses, int ignoreIndex) {
        if (numClasses < 1) throw new IllegalArgumentException("classCounts: numClasses must be >= 1, got " + numClasses);
        if (shape.rank() < 1) throw new IllegalArgumentException("classCounts: labels must have rank >= 1 ([B, *spatial]), got " + shape);
        int b = shape.dim(0), inner = shape.product(1, shape.rank());
        // tasks of (sample, chunk); per task one compare-and-count pass per class over labels in cache
        int chunk = ChannelChunks.CHUNK, nch = Math.max(1, (inner + chunk - 1) / chunk), tasks = b * nch;
        int[] part = new int[tasks * numClasses];
        org.segloss.tensor.kernel.Kernels k = Backend.kernels();
        org.segloss.tensor.kernel.Parallel.forRange(tasks, Math.max(1, Tensor.GRAIN / chunk), (s, e) -> {
            for (int t = s; t < e; t++) {
                int n = t / nch, j0 = (t % nch) * chunk, len = Math.max(0, Math.min(chunk, inner - j0));
                for (int c = 0; c < numClasses; c++) {
                    if (c != ignoreIndex) part[t * numClasses + c] = k.countEqual(data, offset + n * inner + j0, c, len);
                }
            }
        });
        long[] count = new long[b * numClasses];
        for (int t = 0; t < tasks; t++) {
            for (int c = 0; c < numClasses; c++) count[(t / nch) * numClasses + c] += part[t * numClasses + c];
        }
        float[] out = new float[count.length];
        for (int i = 0; i < out.length; i++) out[i] = count[i];
        return new Tensor(out, 0, Shape.of(b, numClasses));
    }

    /**
     * One-hot encoding along axis 1; voxels labelled {@code ignoreIndex} get an all-zero column.
     *
     * @throws IllegalArgumentException if another label is outside [0, numClasses)
     */
    public Tensor oneHot(int numClasses, int ignoreIndex) {
        if (numClasses < 1) throw new IllegalArgumentException("oneHot: numClasses must be >= 1, got " + numClasses);
        if (shape.rank() < 1) throw new IllegalArgumentException("oneHot: labels must have rank >= 1 ([B, *spatial]), got " + shape);
        int b = shape.dim(0);
        int inner = shape.product(1, shape.rank());
        float[] out = new float[b * numClasses * inner];
        // validate first (a clear error names the first bad voxel), then fill in parallel
        for (int i = 0; i < b * inner; i++) {
            int v = data[offset + i];
            if (v != ignoreIndex && (v < 0 || v >= numClasses)) {
                throw new IllegalArgumentException("oneHot: labels must be in [0, " + numClasses + ")"
                        + (ignoreIndex != Integer.MIN_VALUE ? " or equal ignoreIndex " + ignoreIndex : "")
                        + ", got " + v + " at flat index " + i);
            }
        }
        org.segloss.tensor.kernel.Parallel.forRange(b * inner, Tensor.GRAIN, (s, e) -> {
            for (int i = s; i < e; i++) {
                int v = data[offset + i];
                if (v == ignoreIndex) continue;
                int n = i / inner, j = i - n * inner;
                out[(n * numClasses + v) * inner + j] = 1f;
            }
        });
        return new Tensor(out, 0, shape.insert(1, numClasses));
    }

    @Override
    public String toString() {
        return "LabelTensor" + shape + (size() <= 16 ? " " + Arrays.toString(toArray()) : "");
    }
}
