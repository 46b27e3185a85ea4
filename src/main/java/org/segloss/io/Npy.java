package org.segloss.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * NumPy {@code .npy} files: read format versions 1.0, 2.0 and 3.0, write 1.0 (2.0 only when the
 * header does not fit 1.0's 16-bit length). Little endian, C order; dtypes {@code <f4},
 * {@code <f8}, {@code <i8}, {@code <i4}, {@code |u1}; 0-d and empty arrays.
 *
 * <p>Format (numpy.lib.format): the magic {@code \x93NUMPY}, major and minor version bytes, the
 * header length (uint16 LE for 1.0, uint32 LE for 2.0/3.0), then the header: a Python dict literal
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }} padded with spaces and ended
 * by a newline so that the data starts at a multiple of 64 bytes, then the raw data.
 *
 * <p>Anything else is rejected with an {@link IllegalArgumentException} naming the file, the
 * header field and the value found: Fortran order, big endian, other dtypes, truncated or
 * over-long data.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** numpy.lib.format.ARRAY_ALIGN: the data offset is a multiple of this. */
    public static final int ALIGN = 64;

    private Npy() {}

    // ---- reading -----------------------------------------------------------------------------

    /** Reads a {@code .npy} file. */
    public static NpyArray read(Path file) throws IOException {
        return read(Files.readAllBytes(file), file.toString());
    }

    /**
     * Parses the bytes of a {@code .npy} file.
     *
     * @param source a name for error messages (usually the file name)
     */
    public static NpyArray read(byte[] bytes, String source) {
        if (bytes.length < MAGIC.length + 2 || !Arrays.equals(Arrays.copyOf(bytes, MAGIC.length), MAGIC)) {
            throw new IllegalArgumentException("Npy.read: " + source + ": magic must be \\x93NUMPY, got "
                    + printable(Arrays.copyOf(bytes, Math.min(bytes.length, MAGIC.length))));
        }
        int major = bytes[6] & 0xff, minor = bytes[7] & 0xff;
        int lenBytes = switch (major) {
            case 1 -> 2;
            case 2, 3 -> 4;
            default -> throw new IllegalArgumentException("Npy.read: " + source + ": format version must be 1.0, 2.0 or 3.0, got "
                    + major + "." + minor);
        };
        if (bytes.length < 8 + lenBytes) {
            throw new IllegalArgumentException("Npy.read: " + source + ": file ends inside the header length (" + bytes.length
                    + " bytes)");
        }
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen = lenBytes == 2 ? Short.toUnsignedInt(bb.getShort(8)) : Integer.toUnsignedLong(bb.getInt(8));
        long dataStart = 8L + lenBytes + headerLen;
        if (dataStart > bytes.length) {
            throw new IllegalArgumentException("Npy.read: " + source + ": header length " + headerLen + " runs past the end of the"
                    + " file (" + bytes.length + " bytes)");
        }
        // 1.0/2.0 headers are latin-1, 3.0 UTF-8; the fields we accept are ASCII either way.
        String header = new String(bytes, 8 + lenBytes, (int) headerLen,
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Header h = parseHeader(header, source);
        long expected = 1;
        for (int d : h.shape) expected *= d;
        expected *= h.dtype.itemSize();
        long actual = bytes.length - dataStart;
        if (actual != expected) {
            throw new IllegalArgumentException("Npy.read: " + source + ": data must be " + expected + " bytes for shape "
                    + Arrays.toString(h.shape) + " and descr " + h.dtype.descr() + ", got " + actual
                    + (actual < expected ? " (truncated file)" : " (trailing bytes)"));
        }
        byte[] data = Arrays.copyOfRange(bytes, (int) dataStart, bytes.length);
        return new NpyArray(h.dtype, h.shape, data, source);
    }

    /** Reads a file as a float32 tensor (see {@link NpyArray#toTensor()}). */
    public static Tensor readTensor(Path file) throws IOException { return read(file).toTensor(); }

    /** Reads a file of an integer dtype as a label tensor (see {@link NpyArray#toLabels()}). */
    public static LabelTensor readLabels(Path file) throws IOException { return read(file).toLabels(); }

    record Header(NpyArray.Dtype dtype, int[] shape) {}

    static Header parseHeader(String header, String source) {
        Object parsed;
        try {
            PyLiteral p = new PyLiteral(header);
            parsed = p.value();
            p.end();
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException("Npy.read: " + source + ": header must be a Python dict literal: " + e.getMessage()
                    + "; header was " + quote(header));
        }
        if (!(parsed instanceof Map<?, ?> dict)) {
            throw new IllegalArgumentException("Npy.read: " + source + ": header must be a dict, got " + quote(header));
        }
        for (String key : List.of("descr", "fortran_order", "shape")) {
            if (!dict.containsKey(key)) {
                throw new IllegalArgumentException("Npy.read: " + source + ": header must have the key '" + key + "', got keys "
                        + dict.keySet());
            }
        }
        if (dict.size() != 3) {
            throw new IllegalArgumentException("Npy.read: " + source + ": header must have exactly the keys descr, fortran_order,"
                    + " shape, got " + dict.keySet());
        }
        Object fo = dict.get("fortran_order");
        if (!(fo instanceof Boolean fortran)) {
            throw new IllegalArgumentException("Npy.read: " + source + ": fortran_order must be True or False, got " + fo);
        }
        if (fortran) {
            throw new IllegalArgumentException("Npy.read: " + source + ": fortran_order must be False (C order), got True;"
                    + " save with np.ascontiguousarray");
        }
        Object d = dict.get("descr");
        if (!(d instanceof String descr)) {
            throw new IllegalArgumentException("Npy.read: " + source + ": descr must be a simple dtype string such as '<f4',"
                    + " got " + d + " (structured dtypes are not supported)");
        }
        NpyArray.Dtype dtype = dtypeOf(descr, source);
        Object s = dict.get("shape");
        if (!(s instanceof List<?> dims)) {
            throw new IllegalArgumentException("Npy.read: " + source + ": shape must be a tuple of ints, got " + s);
        }
        int[] shape = new int[dims.size()];
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!(dims.get(i) instanceof Long v) || v < 0 || v > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("Npy.read: " + source + ": shape entries must be ints in [0, 2^31), got " + dims);
            }
            shape[i] = (int) (long) v;
            n *= v;
            if (n * dtype.itemSize() > Integer.MAX_VALUE - 64) {
                throw new IllegalArgumentException("Npy.read: " + source + ": shape " + dims + " is too large for one Java array");
            }
        }
        return new Header(dtype, shape);
    }

    private static NpyArray.Dtype dtypeOf(String descr, String source) {
        for (NpyArray.Dtype t : NpyArray.Dtype.values()) {
            if (t.descr().equals(descr)) return t;
        }
        if (descr.equals("<u1")) return NpyArray.Dtype.UINT8;   // byte order is meaningless for one byte
        if (descr.length() == 3 && descr.charAt(0) == '>' && !descr.endsWith("1")) {
            throw new IllegalArgumentException("Npy.read: " + source + ": descr must be little endian ('<'), got '" + descr
                    + "' (big endian); convert with arr.astype(arr.dtype.newbyteorder('<'))");
        }
        StringBuilder known = new StringBuilder();
        for (NpyArray.Dtype t : NpyArray.Dtype.values()) known.append(known.isEmpty() ? "" : ", ").append(t.descr());
        throw new IllegalArgumentException("Npy.read: " + source + ": descr must be one of " + known + ", got '" + descr + "'");
    }

    // ---- writing -----------------------------------------------------------------------------

    /** Writes an array in its own dtype. */
    public static void write(Path file, NpyArray a) throws IOException {
        Files.write(file, toBytes(a));
    }

    /** Writes a float32 tensor ({@code <f4}). */
    public static void write(Path file, Tensor t) throws IOException { write(file, NpyArray.of(t)); }

    /** Writes a label tensor as int64 ({@code <i8}, NumPy's default integer type). */
    public static void write(Path file, LabelTensor t) throws IOException { write(file, NpyArray.of(t)); }

    /** Writes float32 values ({@code <f4}). */
    public static void writeFloat32(Path file, float[] values, int... shape) throws IOException {
        write(file, NpyArray.float32(values, shape));
    }

    /** Writes float64 values ({@code <f8}). */
    public static void writeFloat64(Path file, double[] values, int... shape) throws IOException {
        write(file, NpyArray.float64(values, shape));
    }

    /** The bytes of a {@code .npy} file (format 1.0, or 2.0 when the header needs more than 65535 bytes). */
    public static byte[] toBytes(NpyArray a) {
        String dict = header(a.dtype(), a.shape());
        int major = 1;
        int prefix = 10;   // magic 6 + version 2 + uint16 length
        if (paddedLength(dict, prefix) > 0xffff) {
            major = 2;
            prefix = 12;
        }
        int total = paddedLength(dict, prefix);
        byte[] data = a.rawBytes();
        ByteBuffer out = ByteBuffer.allocate(prefix + total + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).put((byte) major).put((byte) 0);
        if (major == 1) out.putShort((short) total);
        else out.putInt(total);
        String padded = dict + " ".repeat(total - dict.length() - 1) + "\n";
        out.put(padded.getBytes(StandardCharsets.ISO_8859_1));
        out.put(data);
        return out.array();
    }

    /** The header dict as NumPy writes it, without padding. */
    static String header(NpyArray.Dtype dtype, int[] shape) {
        StringBuilder s = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) s.append(", ");
            s.append(shape[i]);
        }
        if (shape.length == 1) s.append(',');
        s.append(')');
        return "{'descr': '" + dtype.descr() + "', 'fortran_order': False, 'shape': " + s + ", }";
    }

    /** Header length including padding and the final newline, so that prefix + length is a multiple of 64. */
    private static int paddedLength(String dict, int prefix) {
        int raw = prefix + dict.length() + 1;
        return ((raw + ALIGN - 1) / ALIGN) * ALIGN - prefix;
    }

    private static String printable(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            int v = x & 0xff;
            s.append(v >= 32 && v < 127 ? String.valueOf((char) v) : String.format("\\x%02x", v));
        }
        return "'" + s + "'";
    }

    private static String quote(String s) {
        return "\"" + s.replace("\n", "\\n") + "\"";
    }

    /**
     * The subset of Python literal syntax that .npy headers use: dicts, tuples and lists, quoted
     * strings, True/False/None and integers. Integers are Longs, tuples and lists Lists.
     */
    private static final class PyLiteral {
        private final String s;
        private int i;

        PyLiteral(String s) { this.s = s; }

        Object value() {
            skip();
            if (i >= s.length()) throw new IllegalStateException("unexpected end");
            char c = s.charAt(i);
            if (c == '{') return dict();
            if (c == '(') return seq('(', ')');
            if (c == '[') return seq('[', ']');
            if (c == '\'' || c == '"') return string();
            if (c == '-' || Character.isDigit(c)) return integer();
            if (s.startsWith("True", i)) { i += 4; return Boolean.TRUE; }
            if (s.startsWith("False", i)) { i += 5; return Boolean.FALSE; }
            if (s.startsWith("None", i)) { i += 4; return null; }
            throw new IllegalStateException("unexpected '" + c + "' at offset " + i);
        }

        void end() {
            skip();
            if (i != s.length()) throw new IllegalStateException("unexpected '" + s.charAt(i) + "' after the dict at offset " + i);
        }

        private Map<String, Object> dict() {
            Map<String, Object> m = new LinkedHashMap<>();
            i++;
            while (true) {
                skip();
                if (peek() == '}') { i++; return m; }
                Object k = value();
                if (!(k instanceof String key)) throw new IllegalStateException("dict keys must be strings, got " + k);
                skip();
                expect(':');
                Object v = value();
                if (m.containsKey(key)) throw new IllegalStateException("duplicate key '" + key + "'");
                m.put(key, v);
                skip();
                if (peek() == ',') i++;
                else if (peek() != '}') throw new IllegalStateException("expected ',' or '}' at offset " + i);
            }
        }

        private List<Object> seq(char open, char close) {
            List<Object> l = new ArrayList<>();
            i++;
            while (true) {
                skip();
                if (peek() == close) { i++; return l; }
                l.add(value());
                skip();
                if (peek() == ',') i++;
                else if (peek() != close) throw new IllegalStateException("expected ',' or '" + close + "' at offset " + i);
            }
        }

        private String string() {
            char q = s.charAt(i++);
            int start = i;
            while (i < s.length() && s.charAt(i) != q) {
                if (s.charAt(i) == '\\') throw new IllegalStateException("escapes in strings are not supported (offset " + i + ")");
                i++;
            }
            if (i >= s.length()) throw new IllegalStateException("unterminated string at offset " + (start - 1));
            return s.substring(start, i++);
        }

        private Long integer() {
            int start = i;
            if (s.charAt(i) == '-') i++;
            while (i < s.length() && Character.isDigit(s.charAt(i))) i++;
            String digits = s.substring(start, i);
            if (i < s.length() && (s.charAt(i) == 'L' || s.charAt(i) == 'l')) i++;   // Python 2 longs
            try {
                return Long.parseLong(digits);
            } catch (NumberFormatException e) {
                throw new IllegalStateException("bad integer '" + digits + "' at offset " + start);
            }
        }

        private char peek() {
            if (i >= s.length()) throw new IllegalStateException("unexpected end");
            return s.charAt(i);
        }

        private void expect(char c) {
            if (peek() != c) throw new IllegalStateException("expected '" + c + "' at offset " + i + ", got '" + peek() + "'");
            i++;
        }

        private void skip() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }
    }
}
