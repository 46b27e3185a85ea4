package org.segloss.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * An array read from (or to be written to) a {@code .npy} file: a dtype, a C-order shape and the
 * little-endian element bytes. Convert with {@link #toTensor()}, {@link #toLabels()} or
 * {@link #toDoubles()}; build one for writing with the typed factories.
 *
 * <p>The bytes are kept as stored so that a read-then-write round trip is exact for every dtype.
 */
public final class NpyArray {

    /** The element types segloss reads and writes; {@link #descr()} is NumPy's little-endian descr. */
    public enum Dtype {
        FLOAT32("<f4", 4, false),
        FLOAT64("<f8", 8, false),
        INT64("<i8", 8, true),
        INT32("<i4", 4, true),
        UINT8("|u1", 1, true);

        private final String descr;
        private final int itemSize;
        private final boolean integer;

        Dtype(String descr, int itemSize, boolean integer) {
            this.descr = descr;
            this.itemSize = itemSize;
            this.integer = integer;
        }

        /** NumPy's {@code descr} string as written in headers, e.g. {@code "<f4"}. */
        public String descr() { return descr; }

        /** Bytes per element. */
        public int itemSize() { return itemSize; }

        /** Whether the elements are integers (convertible to a {@link LabelTensor}). */
        public boolean isInteger() { return integer; }
    }

    private final Dtype dtype;
    private final int[] shape;
    private final int size;
    private final byte[] data;   // little endian, C order, size * itemSize bytes
    private final String source; // file name or "<bytes>", for error messages

    NpyArray(Dtype dtype, int[] shape, byte[] data, String source) {
        this.dtype = dtype;
        this.shape = shape.clone();
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("NpyArray: shape entries must be >= 0, got " + Arrays.toString(shape));
            n *= d;
            if (n > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("NpyArray: more than 2^31 - 17 elements in shape " + Arrays.toString(shape));
            }
        }
        this.size = (int) n;
        if ((long) size * dtype.itemSize != data.length) {
            throw new IllegalArgumentException("NpyArray: data must hold " + size + " x " + dtype.itemSize + " = "
                    + (long) size * dtype.itemSize + " bytes for shape " + Arrays.toString(shape) + " " + dtype.descr
                    + ", got " + data.length);
        }
        this.data = data;
        this.source = source;
    }

    // ---- factories for writing ---------------------------------------------------------------

    /** float32 ({@code <f4}) array over a copy of {@code values}. */
    public static NpyArray float32(float[] values, int... shape) {
        ByteBuffer b = buffer(values.length, 4);
        for (float v : values) b.putFloat(v);
        return new NpyArray(Dtype.FLOAT32, shape, b.array(), "<float32 values>");
    }

    /** float64 ({@code <f8}). */
    public static NpyArray float64(double[] values, int... shape) {
        ByteBuffer b = buffer(values.length, 8);
        for (double v : values) b.putDouble(v);
        return new NpyArray(Dtype.FLOAT64, shape, b.array(), "<float64 values>");
    }

    /** int64 ({@code <i8}). */
    public static NpyArray int64(long[] values, int... shape) {
        ByteBuffer b = buffer(values.length, 8);
        for (long v : values) b.putLong(v);
        return new NpyArray(Dtype.INT64, shape, b.array(), "<int64 values>");
    }

    /** int32 ({@code <i4}). */
    public static NpyArray int32(int[] values, int... shape) {
        ByteBuffer b = buffer(values.length, 4);
        for (int v : values) b.putInt(v);
        return new NpyArray(Dtype.INT32, shape, b.array(), "<int32 values>");
    }

    /** uint8 ({@code |u1}); every value must be in [0, 255]. */
    public static NpyArray uint8(int[] values, int... shape) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            if (values[i] < 0 || values[i] > 255) {
                throw new IllegalArgumentException("NpyArray.uint8: values must be in [0, 255], got " + values[i]
                        + " at flat index " + i);
            }
            b[i] = (byte) values[i];
        }
        return new NpyArray(Dtype.UINT8, shape, b, "<uint8 values>");
    }

    /** A float32 array with the tensor's shape and values. */
    public static NpyArray of(Tensor t) { return float32(t.toArray(), t.shape().dims()); }

    /** An int64 array with the label tensor's shape and values (NumPy's default integer type). */
    public static NpyArray of(LabelTensor t) {
        int[] v = t.toArray();
        long[] l = new long[v.length];
        for (int i = 0; i < v.length; i++) l[i] = v[i];
        return int64(l, t.shape().dims());
    }

    private static ByteBuffer buffer(int n, int itemSize) {
        return ByteBuffer.allocate(Math.multiplyExact(n, itemSize)).order(ByteOrder.LITTLE_ENDIAN);
    }

    // ---- accessors ---------------------------------------------------------------------------

    public Dtype dtype() { return dtype; }

    /** The shape, outermost axis first; empty for a 0-d scalar. */
    public int[] shape() { return shape.clone(); }

    /** The number of elements (1 for a 0-d scalar, 0 for an empty array). */
    public int size() { return size; }

    /** The file (or other source) the array came from, as used in error messages. */
    public String source() { return source; }

    /** The element bytes, little endian, C order (a copy). */
    public byte[] bytes() { return data.clone(); }

    byte[] rawBytes() { return data; }

    private ByteBuffer view() { return ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN); }

    /** Every element as a double (exact for all dtypes except int64 beyond 2^53). */
    public double[] toDoubles() {
        ByteBuffer b = view();
        double[] out = new double[size];
        for (int i = 0; i < size; i++) {
            out[i] = switch (dtype) {
                case FLOAT32 -> b.getFloat();
                case FLOAT64 -> b.getDouble();
                case INT64 -> (double) b.getLong();
                case INT32 -> b.getInt();
                case UINT8 -> Byte.toUnsignedInt(b.get());
            };
        }
        return out;
    }

    /**
     * A float32 tensor with this shape. float32 data is taken as is; float64 and integer data are
     * rounded to the nearest float32 (the library computes in float32).
     */
    public Tensor toTensor() {
        float[] out = new float[size];
        if (dtype == Dtype.FLOAT32) {
            view().asFloatBuffer().get(out);
        } else {
            double[] d = toDoubles();
            for (int i = 0; i < size; i++) out[i] = (float) d[i];
        }
        return Tensor.wrap(out, shape);
    }

    /**
     * A label tensor with this shape, for integer dtypes only.
     *
     * @throws IllegalArgumentException for a float dtype, or an int64 value outside the int range
     */
    public LabelTensor toLabels() {
        if (!dtype.integer) {
            throw new IllegalArgumentException("NpyArray.toLabels: " + source + ": dtype must be an integer type ("
                    + Dtype.INT64.descr + ", " + Dtype.INT32.descr + " or " + Dtype.UINT8.descr + "), got " + dtype.descr);
        }
        ByteBuffer b = view();
        int[] out = new int[size];
        for (int i = 0; i < size; i++) {
            out[i] = switch (dtype) {
                case INT64 -> {
                    long v = b.getLong();
                    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                        throw new IllegalArgumentException("NpyArray.toLabels: " + source + ": int64 value must fit in an int"
                                + " [" + Integer.MIN_VALUE + ", " + Integer.MAX_VALUE + "], got " + v + " at flat index " + i);
                    }
                    yield (int) v;
                }
                case INT32 -> b.getInt();
                case UINT8 -> Byte.toUnsignedInt(b.get());
                default -> throw new AssertionError(dtype);
            };
        }
        return LabelTensor.of(out, shape);
    }

    @Override
    public String toString() {
        return "NpyArray[" + dtype.descr + " " + Arrays.toString(shape) + " from " + source + "]";
    }
}
