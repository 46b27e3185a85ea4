package org.segloss.tensor;

import java.util.Arrays;

/**
 * An immutable tensor shape: the sizes of the axes, outermost first (row-major). A rank-0 shape
 * is a scalar with one element. Axes may be given negative (-1 is the last axis).
 */
public final class Shape {
    private final int[] dims;
    private final int size;

    private Shape(int[] dims) {
        long n = 1;
        for (int d : dims) {
            if (d < 0) throw new IllegalArgumentException("Shape: dims must be >= 0, got " + Arrays.toString(dims));
            n *= d;
            if (n > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("Shape: more than 2^31 - 17 elements: " + Arrays.toString(dims));
            }
        }
        this.dims = dims;
        this.size = (int) n;
    }

    public static Shape of(int... dims) {
        return new Shape(dims.clone());
    }

    public static final Shape SCALAR = new Shape(new int[0]);

    public int rank() { return dims.length; }

    /** The number of elements. */
    public int size() { return size; }

    public int dim(int axis) { return dims[axis(axis, "axis", "Shape.dim")]; }

    public int[] dims() { return dims.clone(); }

    /** Row-major strides in elements. */
    public int[] strides() {
        int[] s = new int[dims.length];
        int acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= dims[i];
        }
        return s;
    }

    /** Product of dims[from..to). */
    public int product(int from, int to) {
        int p = 1;
        for (int i = from; i < to; i++) p *= dims[i];
        return p;
    }

    /**
     * Resolves a possibly negative axis.
     *
     * @throws IllegalArgumentException naming the op and parameter when it is out of range
     */
    public int axis(int axis, String param, String op) {
        int r = dims.length;
        if (axis < -r || axis >= r) {
            throw new IllegalArgumentException(op + ": " + param + " must be in [" + (-r) + ", " + (r - 1)
                    + "] for shape " + this + ", got " + axis);
        }
        return axis < 0 ? axis + r : axis;
    }

    /** Sorted, distinct, non-negative axes; every axis when {@code axes} is empty. */
    public int[] axes(int[] axes, String op) {
        if (axes.length == 0) {
            int[] all = new int[dims.length];
            for (int i = 0; i < all.length; i++) all[i] = i;
            return all;
        }
        boolean[] seen = new boolean[dims.length];
        for (int a : axes) {
            int n = axis(a, "axes", op);
            if (seen[n]) throw new IllegalArgumentException(op + ": axes must be distinct, got " + Arrays.toString(axes));
            seen[n] = true;
        }
        int[] out = new int[axes.length];
        int j = 0;
        for (int i = 0; i < seen.length; i++) if (seen[i]) out[j++] = i;
        return out;
    }

    /** The shape after reducing {@code axes} (sorted, distinct). */
    public Shape reduce(int[] axes, boolean keepDims) {
        boolean[] red = new boolean[dims.length];
        for (int a : axes) red[a] = true;
        int[] out = new int[keepDims ? dims.length : dims.length - axes.length];
        int j = 0;
        for (int i = 0; i < dims.length; i++) {
            if (!red[i]) out[j++] = dims[i];
            else if (keepDims) out[j++] = 1;
        }
        return new Shape(out);
    }

    /** This shape with a size-1 axis inserted at {@code axis} (0..rank). */
    public Shape insert(int axis, int size) {
        int[] out = new int[dims.length + 1];
        System.arraycopy(dims, 0, out, 0, axis);
        out[axis] = size;
        System.arraycopy(dims, axis, out, axis + 1, dims.length - axis);
        return new Shape(out);
    }

    /** This shape with one axis removed. */
    public Shape remove(int axis) {
        int[] out = new int[dims.length - 1];
        System.arraycopy(dims, 0, out, 0, axis);
        System.arraycopy(dims, axis + 1, out, axis, dims.length - axis - 1);
        return new Shape(out);
    }

    /** This shape with one axis resized. */
    public Shape with(int axis, int size) {
        int[] out = dims.clone();
        out[axis] = size;
        return new Shape(out);
    }

    /**
     * The NumPy broadcast of two shapes: right-aligned, each pair of sizes equal or one of them 1.
     *
     * @throws IllegalArgumentException naming the op and both shapes when they are incompatible
     */
    public static Shape broadcast(String op, Shape a, Shape b) {
        int r = Math.max(a.rank(), b.rank());
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i < r - a.rank() ? 1 : a.dims[i - (r - a.rank())];
            int db = i < r - b.rank() ? 1 : b.dims[i - (r - b.rank())];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + a + " and " + b
                        + " cannot be broadcast together (axis " + i + " of the broadcast: " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return new Shape(out);
    }

    /** Whether this shape broadcasts to {@code target} (NumPy rules, without changing target). */
    public boolean broadcastsTo(Shape target) {
        if (rank() > target.rank()) return false;
        int off = target.rank() - rank();
        for (int i = 0; i < rank(); i++) {
            if (dims[i] != 1 && dims[i] != target.dims[i + off]) return false;
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() { return Arrays.hashCode(dims); }

    @Override
    public String toString() { return Arrays.toString(dims); }
}
