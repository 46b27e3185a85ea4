package org.segloss.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segloss.io.NpyArray.Dtype;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/** {@link Npy}: round trips per dtype, layout of the header, hand-written fixtures, rejections. */
class NpyTest {

    @TempDir
    Path dir;

    // ---- round trips ---------------------------------------------------------------------------

    @Test
    void float32RoundTripKeepsEveryBitPattern() throws IOException {
        float[] v = {0f, -0f, 1.5f, -3.25e-30f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NaN, Float.POSITIVE_INFINITY};
        Path f = dir.resolve("f4.npy");
        Npy.writeFloat32(f, v, 2, 4);
        NpyArray a = Npy.read(f);
        assertEquals(Dtype.FLOAT32, a.dtype());
        assertArrayEquals(new int[] {2, 4}, a.shape());
        float[] back = a.toTensor().toArray();
        for (int i = 0; i < v.length; i++) assertEquals(Float.floatToRawIntBits(v[i]), Float.floatToRawIntBits(back[i]), "index " + i);
    }

    @Test
    void float64RoundTrip() throws IOException {
        double[] v = {Math.PI, -1e-300, 1e300, 0.1, -0.0, Double.NaN};
        Path f = dir.resolve("f8.npy");
        Npy.writeFloat64(f, v, 3, 2);
        NpyArray a = Npy.read(f);
        assertEquals(Dtype.FLOAT64, a.dtype());
        assertArrayEquals(v, a.toDoubles());
        assertEquals((float) Math.PI, a.toTensor().at(0));   // rounded to the nearest float32
    }

    @Test
    void int64RoundTripAndLabels() throws IOException {
        long[] v = {0, 1, 2, 255, -1, Integer.MAX_VALUE, Integer.MIN_VALUE};
        Path f = dir.resolve("i8.npy");
        Npy.write(f, NpyArray.int64(v, 7));
        NpyArray a = Npy.read(f);
        assertEquals(Dtype.INT64, a.dtype());
        assertArrayEquals(new int[] {0, 1, 2, 255, -1, Integer.MAX_VALUE, Integer.MIN_VALUE}, a.toLabels().toArray());
        // beyond 2^53 a double is inexact, but the bytes survive
        NpyArray big = Npy.read(Npy.toBytes(NpyArray.int64(new long[] {Long.MAX_VALUE}, 1)), "big");
        assertEquals(Long.MAX_VALUE, ByteBuffer.wrap(big.bytes()).order(ByteOrder.LITTLE_ENDIAN).getLong());
    }

    @Test
    void int32RoundTrip() throws IOException {
        int[] v = {Integer.MIN_VALUE, -7, 0, 7, Integer.MAX_VALUE, 3};
        Path f = dir.resolve("i4.npy");
        Npy.write(f, NpyArray.int32(v, 1, 2, 3));
        NpyArray a = Npy.read(f);
        assertEquals(Dtype.INT32, a.dtype());
        assertArrayEquals(new int[] {1, 2, 3}, a.shape());
        assertArrayEquals(v, a.toLabels().toArray());
        assertArrayEquals(new double[] {Integer.MIN_VALUE, -7, 0, 7, Integer.MAX_VALUE, 3}, a.toDoubles());
    }

    @Test
    void uint8RoundTrip() throws IOException {
        int[] v = new int[256];
        for (int i = 0; i < 256; i++) v[i] = 255 - i;
        Path f = dir.resolve("u1.npy");
        Npy.write(f, NpyArray.uint8(v, 16, 16));
        NpyArray a = Npy.read(f);
        assertEquals(Dtype.UINT8, a.dtype());
        assertArrayEquals(v, a.toLabels().toArray());
        assertEquals(255f, a.toTensor().at(0));
        assertThrows(IllegalArgumentException.class, () -> NpyArray.uint8(new int[] {256}, 1));
    }

    @Test
    void tensorAndLabelTensorRoundTrip() throws IOException {
        Tensor t = Tensor.randn(7, 2, 3, 5, 6, 7);
        Path f = dir.resolve("t.npy");
        Npy.write(f, t);
        Tensor back = Npy.readTensor(f);
        assertEquals(t.shape(), back.shape());
        assertArrayEquals(t.toArray(), back.toArray());

        LabelTensor l = LabelTensor.randomLabels(3, 4, 2, 7, 9);
        Path g = dir.resolve("l.npy");
        Npy.write(g, l);
        assertEquals(Dtype.INT64, Npy.read(g).dtype());   // NumPy's default integer type
        LabelTensor lb = Npy.readLabels(g);
        assertEquals(l.shape(), lb.shape());
        assertArrayEquals(l.toArray(), lb.toArray());
    }

    @Test
    void zeroDimensionalScalars() {
        for (Dtype t : Dtype.values()) {
            NpyArray a = switch (t) {
                case FLOAT32 -> NpyArray.float32(new float[] {2.5f});
                case FLOAT64 -> NpyArray.float64(new double[] {2.5});
                case INT64 -> NpyArray.int64(new long[] {2});
                case INT32 -> NpyArray.int32(new int[] {2});
                case UINT8 -> NpyArray.uint8(new int[] {2});
            };
            byte[] b = Npy.toBytes(a);
            assertTrue(header(b).contains("'shape': ()"), header(b));
            NpyArray r = Npy.read(b, t.name());
            assertEquals(0, r.shape().length);
            assertEquals(1, r.size());
            Tensor s = r.toTensor();
            assertEquals(0, s.shape().rank());
            assertEquals(t.isInteger() ? 2f : 2.5f, s.item());
        }
    }

    @Test
    void emptyArrays() {
        for (int[] shape : List.of(new int[] {0}, new int[] {2, 0, 3}, new int[] {0, 0})) {
            for (Dtype t : Dtype.values()) {
                NpyArray a = switch (t) {
                    case FLOAT32 -> NpyArray.float32(new float[0], shape);
                    case FLOAT64 -> NpyArray.float64(new double[0], shape);
                    case INT64 -> NpyArray.int64(new long[0], shape);
                    case INT32 -> NpyArray.int32(new int[0], shape);
                    case UINT8 -> NpyArray.uint8(new int[0], shape);
                };
                byte[] b = Npy.toBytes(a);
                assertEquals(0, b.length % Npy.ALIGN, "no data after the header");
                NpyArray r = Npy.read(b, "empty");
                assertArrayEquals(shape, r.shape());
                assertEquals(0, r.size());
                assertArrayEquals(shape, r.toTensor().shape().dims());
                if (t.isInteger()) assertEquals(0, r.toLabels().size());
            }
        }
    }

    @Test
    void oddShapes() {
        for (int[] shape : List.of(new int[] {1}, new int[] {3, 1, 5}, new int[] {7, 9}, new int[] {1, 1, 1, 1, 1},
                new int[] {2, 3, 5, 6, 7}, new int[] {13}, new int[] {1000000, 0, 2147483647})) {
            int n = 1;
            for (int d : shape) n *= d;
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = i * 0.5f - 3f;
            NpyArray r = Npy.read(Npy.toBytes(NpyArray.float32(v, shape)), "odd");
            assertArrayEquals(shape, r.shape());
            assertArrayEquals(v, r.toTensor().toArray());
        }
    }

    // ---- header layout ---------------------------------------------------------------------------

    @Test
    void headerIsPaddedSoThatDataStartsAtAMultipleOf64() {
        for (int rank = 0; rank <= 12; rank++) {
            for (int digits = 1; digits <= 9; digits += 4) {
                int[] shape = new int[rank];
                // a large axis widens the header; the rest stay 1 so the data stays small
                if (rank > 0) shape[0] = digits == 1 ? 3 : (int) Math.pow(10, digits - 1);
                for (int i = 1; i < rank; i++) shape[i] = 1;
                if (rank > 0 && (long) shape[0] > 100000) shape[rank - 1] = 0;   // keep it empty
                for (Dtype t : Dtype.values()) {
                    int n = 1;
                    for (int d : shape) n *= d;
                    NpyArray a = NpyArray.uint8(new int[n], shape);
                    if (t != Dtype.UINT8) a = NpyArray.float64(new double[n], shape);
                    byte[] b = Npy.toBytes(a);
                    assertEquals(1, b[6], "format 1.0");
                    assertEquals(0, b[7]);
                    int len = Short.toUnsignedInt(ByteBuffer.wrap(b, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort());
                    int dataStart = 10 + len;
                    assertEquals(0, dataStart % 64, "data offset " + dataStart + " for shape " + java.util.Arrays.toString(shape));
                    assertEquals('\n', b[dataStart - 1], "header ends with a newline");
                    assertEquals(a.size() * a.dtype().itemSize(), b.length - dataStart);
                    String h = header(b);
                    assertTrue(h.startsWith("{'descr': '"), h);
                    assertTrue(h.substring(0, h.length() - 1).chars().skip(h.indexOf('}') + 1).allMatch(c -> c == ' '),
                            "padding is spaces: " + h);
                }
            }
        }
    }

    @Test
    void bytesMatchWhatNumpyWrites() {
        // np.save(f, np.arange(6, dtype=np.float32).reshape(2, 3)) with numpy 2.4: header length 118
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        byte[] expected = fixture(1, dict + " ".repeat(118 - dict.length() - 1) + "\n",
                le(4, 0f, 1f, 2f, 3f, 4f, 5f), 2);
        assertArrayEquals(expected, Npy.toBytes(NpyArray.float32(new float[] {0, 1, 2, 3, 4, 5}, 2, 3)));
    }

    // ---- hand-written fixtures ---------------------------------------------------------------------

    @Test
    void readsAHandWrittenVersion1File() {
        String h = "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }";
        byte[] b = fixture(1, pad(h, 10), le(8, 1.0, -2.5, 1e-7), 2);
        NpyArray a = Npy.read(b, "fixture");
        assertEquals(Dtype.FLOAT64, a.dtype());
        assertArrayEquals(new int[] {3}, a.shape());
        assertArrayEquals(new double[] {1.0, -2.5, 1e-7}, a.toDoubles());
    }

    @Test
    void readsOtherKeyOrderDoubleQuotesNoTrailingCommaAndPython2Longs() {
        String h = "{\"shape\": (2L, 2L), \"descr\": \"<i8\",\"fortran_order\":False}";
        byte[] b = fixture(1, pad(h, 10), le(8, 1L, 2L, 255L, 0L), 2);
        assertArrayEquals(new int[] {1, 2, 255, 0}, Npy.read(b, "fixture").toLabels().toArray());
    }

    @Test
    void readsVersion2And3Headers() {
        String h = "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }";
        for (int major : new int[] {2, 3}) {
            byte[] b = fixture(major, pad(h, 12), le(4, 7, -9), 4);
            NpyArray a = Npy.read(b, "v" + major);
            assertEquals(Dtype.INT32, a.dtype());
            assertArrayEquals(new int[] {7, -9}, a.toLabels().toArray());
        }
    }

    @Test
    void readsUnpaddedHeaders() {
        // older writers aligned to 16 bytes only; the reader must not insist on 64
        String h = "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }\n";
        byte[] b = fixture(1, h, new byte[] {(byte) 200, 3}, 2);
        assertArrayEquals(new int[] {200, 3}, Npy.read(b, "fixture").toLabels().toArray());
    }

    // ---- rejections ---------------------------------------------------------------------------------

    @Test
    void rejectsFortranOrder() {
        var e = rejected("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", le(4, 1f, 2f, 3f, 4f));
        assertTrue(e.getMessage().contains("fortran_order") && e.getMessage().contains("True"), e.getMessage());
        assertTrue(e.getMessage().contains("bad.npy"), "names the file: " + e.getMessage());
    }

    @Test
    void rejectsBigEndian() {
        var e = rejected("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", new byte[] {0x3f, (byte) 0x80, 0, 0});
        assertTrue(e.getMessage().contains("'>f4'") && e.getMessage().contains("big endian"), e.getMessage());
    }

    @Test
    void rejectsUnknownDtypes() {
        for (String d : new String[] {"<f2", "<c8", "<u2", "|b1", "<U5", "|O"}) {
            var e = rejected("{'descr': '" + d + "', 'fortran_order': False, 'shape': (0,), }", new byte[0]);
            assertTrue(e.getMessage().contains("descr") && e.getMessage().contains("'" + d + "'"), e.getMessage());
        }
        var e = rejected("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (0,), }", new byte[0]);
        assertTrue(e.getMessage().contains("structured"), e.getMessage());
    }

    @Test
    void rejectsMalformedFiles() {
        String ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
        assertTrue(rejected(ok, le(4, 1f)).getMessage().contains("truncated"));
        assertTrue(rejected(ok, le(4, 1f, 2f, 3f)).getMessage().contains("trailing"));
        assertTrue(rejected("{'descr': '<f4', 'shape': (2,), }", le(4, 1f, 2f)).getMessage().contains("fortran_order"));
        assertTrue(rejected("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", new byte[0]).getMessage()
                .contains("shape"));
        assertTrue(rejected("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", le(4, 1f, 2f)).getMessage()
                .contains("keys"));
        assertTrue(rejected("{'descr': '<f4', 'fortran_order': False, 'shape': (2,) ", le(4, 1f, 2f)).getMessage()
                .contains("dict"));
        var magic = assertThrows(IllegalArgumentException.class, () -> Npy.read("PK\u0003\u0004...".getBytes(StandardCharsets.ISO_8859_1), "x.npy"));
        assertTrue(magic.getMessage().contains("magic") && magic.getMessage().contains("x.npy"), magic.getMessage());
        byte[] v4 = fixture(1, pad(ok, 10), le(4, 1f, 2f), 2);
        v4[6] = 4;
        var ver = assertThrows(IllegalArgumentException.class, () -> Npy.read(v4, "v4.npy"));
        assertTrue(ver.getMessage().contains("4.0"), ver.getMessage());
    }

    @Test
    void labelsNeedAnIntegerDtypeAndInt64ValuesInIntRange() {
        var e = assertThrows(IllegalArgumentException.class, () -> NpyArray.float32(new float[] {1f}, 1).toLabels());
        assertTrue(e.getMessage().contains("<f4"), e.getMessage());
        var r = assertThrows(IllegalArgumentException.class,
                () -> Npy.read(Npy.toBytes(NpyArray.int64(new long[] {0, 1L << 31}, 2)), "t.npy").toLabels());
        assertTrue(r.getMessage().contains("2147483648") && r.getMessage().contains("t.npy")
                && r.getMessage().contains("flat index 1"), r.getMessage());
    }

    // ---- helpers --------------------------------------------------------------------------------------

    private IllegalArgumentException rejected(String header, byte[] data) {
        return assertThrows(IllegalArgumentException.class, () -> Npy.read(fixture(1, pad(header, 10), data, 2), "bad.npy"));
    }

    /** Pads a header dict as format 1.0 (prefix 10) or 2.0/3.0 (prefix 12) does. */
    private static String pad(String dict, int prefix) {
        int total = ((prefix + dict.length() + 1 + 63) / 64) * 64;
        return dict + " ".repeat(total - prefix - dict.length() - 1) + "\n";
    }

    private static byte[] fixture(int major, String header, byte[] data, int lenBytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        byte[] h = header.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer len = ByteBuffer.allocate(lenBytes).order(ByteOrder.LITTLE_ENDIAN);
        if (lenBytes == 2) len.putShort((short) h.length);
        else len.putInt(h.length);
        out.writeBytes(len.array());
        out.writeBytes(h);
        out.writeBytes(data);
        return out.toByteArray();
    }

    /** Little-endian bytes of numbers: size 4 (float or int) or 8 (double or long). */
    private static byte[] le(int size, Number... v) {
        ByteBuffer b = ByteBuffer.allocate(size * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (Number x : v) {
            if (x instanceof Float f) b.putFloat(f);
            else if (x instanceof Double d) b.putDouble(d);
            else if (x instanceof Long l) b.putLong(l);
            else if (size == 4) b.putInt(x.intValue());
            else b.putLong(x.longValue());
        }
        return b.array();
    }

    private static String header(byte[] npy) {
        int len = Short.toUnsignedInt(ByteBuffer.wrap(npy, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort());
        return new String(npy, 10, len, StandardCharsets.ISO_8859_1);
    }
}
