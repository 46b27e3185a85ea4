package org.segloss.io;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.segloss.io.NiftiImage.Datatype;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;
import org.segloss.util.AtomicFiles;

/**
 * NIfTI-1 single files ({@code .nii}, {@code .nii.gz}): read and write. The format is the 348-byte
 * header of nifti1.h (NIfTI Data Format Working Group, 2004,
 * https://nifti.nimh.nih.gov/pub/dist/src/niftilib/nifti1.h), optional extensions, then the voxels
 * from byte {@code vox_offset}, first axis fastest. Axis order, affine choice and accessors are
 * described in {@link NiftiImage} and {@code spec/nifti.md}.
 *
 * <p>Reading accepts: gzip or plain (decided by the gzip magic {@code 1f 8b}, never the file
 * name); either byte order (decided by {@code sizeof_hdr == 348}); magic {@code "n+1\0"};
 * {@code dim[0]} 3 or 4; datatypes uint8, int8, int16, uint16, int32, float32, float64; extensions
 * (skipped); bytes after the last voxel (ignored). Everything else is rejected with an
 * {@link IllegalArgumentException} that names the file, the header field, what was expected and
 * what was found: NIfTI-2 ({@code sizeof_hdr == 540}), {@code .hdr/.img} pairs (magic
 * {@code "ni1"}), Analyze files (no magic), complex/RGB/64-bit integer datatypes, {@code bitpix}
 * disagreeing with the datatype, non-positive or non-finite spacing, {@code vox_offset < 352},
 * negative xform codes, truncated data. A corrupt gzip stream is an {@link IOException} naming
 * the file.
 *
 * <p>Writing produces little-endian {@code n+1} files with {@code vox_offset = 352} and no
 * extensions, gzip-compressed when the name ends in {@code .nii.gz}; the file appears atomically
 * (a temporary file in the same directory, then an atomic rename).
 */
public final class Nifti {
    /** {@code sizeof_hdr} of NIfTI-1 (and Analyze 7.5). */
    public static final int HEADER_SIZE = 348;
    /** Header plus the 4-byte extension flag: the smallest {@code vox_offset} of a single file. */
    public static final int MIN_VOX_OFFSET = 352;
    private static final int NIFTI2_HEADER_SIZE = 540;

    private Nifti() {}

    // ---- reading ----------------------------------------------------------------------------

    /** Reads a {@code .nii} or {@code .nii.gz} file (gzip detected by content). */
    public static NiftiImage read(Path file) throws IOException {
        return read(Files.readAllBytes(file), file.toString());
    }

    /** Reads a file as a float32 tensor {@code [D, H, W]} (see {@link NiftiImage#toTensor()}). */
    public static Tensor readTensor(Path file) throws IOException { return read(file).toTensor(); }

    /** Reads a file as labels {@code [D, H, W]} (see {@link NiftiImage#toLabels()}). */
    public static LabelTensor readLabels(Path file) throws IOException { return read(file).toLabels(); }

    /**
     * Parses the bytes of a NIfTI-1 file, gzip-compressed or not.
     *
     * @param source a name for messages (usually the file name)
     * @throws IOException if the bytes are a gzip stream that cannot be inflated
     */
    public static NiftiImage read(byte[] bytes, String source) throws IOException {
        if (bytes.length >= 2 && (bytes[0] & 0xff) == 0x1f && (bytes[1] & 0xff) == 0x8b) {
            try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
                bytes = in.readAllBytes();
            } catch (OutOfMemoryError e) {
                throw new IOException("Nifti.read: " + source + ": the decompressed file does not fit one Java array", e);
            } catch (IOException e) {
                throw new IOException("Nifti.read: " + source + ": gzip stream is corrupt or truncated: " + e.getMessage(), e);
            }
        }
        return parse(bytes, source);
    }

    private static IllegalArgumentException bad(String source, String what) {
        return new IllegalArgumentException("Nifti.read: " + source + ": " + what);
    }

    static NiftiImage parse(byte[] bytes, String source) {
        if (bytes.length < HEADER_SIZE) {
            throw bad(source, "file must hold the " + HEADER_SIZE + "-byte NIfTI-1 header, got " + bytes.length + " bytes");
        }
        ByteBuffer h = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int sizeLE = h.getInt(0);
        int sizeBE = Integer.reverseBytes(sizeLE);
        if (sizeLE == NIFTI2_HEADER_SIZE || sizeBE == NIFTI2_HEADER_SIZE) {
            throw bad(source, "sizeof_hdr is 540: this is a NIfTI-2 file, which is not supported (NIfTI-1 has 348);"
                    + " convert it, e.g. nibabel.Nifti1Image(img.dataobj, img.affine, img.header)");
        }
        if (sizeLE != HEADER_SIZE && sizeBE != HEADER_SIZE) {
            throw bad(source, "sizeof_hdr must be 348 in either byte order, got " + sizeLE + " (little endian) / " + sizeBE
                    + " (big endian): not a NIfTI-1 file");
        }
        ByteOrder order = sizeLE == HEADER_SIZE ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
        h.order(order);
        String magic = new String(bytes, 344, 4, StandardCharsets.ISO_8859_1);
        if (magic.equals("ni1\0")) {
            throw bad(source, "magic is \"ni1\": the header of a .hdr/.img pair; only single files (magic \"n+1\") are"
                    + " supported — convert to .nii");
        }
        if (!magic.equals("n+1\0")) {
            throw bad(source, "magic must be \"n+1\\0\", got " + printable(magic) + " (an Analyze 7.5 file or not NIfTI)");
        }
        int[] dim = new int[8];
        for (int a = 0; a < 8; a++) dim[a] = h.getShort(40 + 2 * a);
        if (dim[0] != 3 && dim[0] != 4) {
            throw bad(source, "dim[0] must be 3 or 4 (a volume, or volumes as channels), got " + dim[0]);
        }
        long n = 1;
        for (int a = 1; a <= dim[0]; a++) {
            if (dim[a] < 1) throw bad(source, "dim[" + a + "] must be >= 1, got " + dim[a]);
            n *= dim[a];
        }
        int code = h.getShort(70);
        Datatype type = Datatype.ofCode(code);
        if (type == null) {
            throw bad(source, "datatype must be one of 2 (uint8), 4 (int16), 8 (int32), 16 (float32), 64 (float64), 256 (int8),"
                    + " 512 (uint16), got " + code + " (" + typeName(code) + ")");
        }
        int bitpix = h.getShort(72);
        if (bitpix != type.bitpix()) {
            throw bad(source, "bitpix must be " + type.bitpix() + " for datatype " + code + " (" + type + "), got " + bitpix);
        }
        float[] pixdim = new float[8];
        for (int a = 0; a < 8; a++) pixdim[a] = h.getFloat(76 + 4 * a);
        for (int a = 1; a <= 3; a++) {
            if (!(pixdim[a] > 0) || !Float.isFinite(pixdim[a])) {
                throw bad(source, "pixdim[" + a + "] (voxel size) must be finite and > 0, got " + pixdim[a]);
            }
        }
        float voxOffset = h.getFloat(108);
        if (!(voxOffset >= MIN_VOX_OFFSET) || voxOffset != Math.rint(voxOffset) || voxOffset > Integer.MAX_VALUE) {
            throw bad(source, "vox_offset must be a whole number >= 352 for a single file, got " + voxOffset);
        }
        float slope = h.getFloat(112), inter = h.getFloat(116);
        if (Float.isFinite(slope) && slope != 0 && !Float.isFinite(inter)) {
            throw bad(source, "scl_inter must be finite when scl_slope (" + slope + ") is, got " + inter);
        }
        int xyztUnits = bytes[123] & 0xff;
        String description = cString(bytes, 148, 80);
        int qformCode = h.getShort(252), sformCode = h.getShort(254);
        if (qformCode < 0) throw bad(source, "qform_code must be >= 0 (nifti1.h NIFTI_XFORM_*), got " + qformCode);
        if (sformCode < 0) throw bad(source, "sform_code must be >= 0 (nifti1.h NIFTI_XFORM_*), got " + sformCode);
        float[] quatern = {h.getFloat(256), h.getFloat(260), h.getFloat(264)};
        float[] qoffset = {h.getFloat(268), h.getFloat(272), h.getFloat(276)};
        float[][] srow = new float[3][4];
        for (int r = 0; r < 3; r++) for (int c = 0; c < 4; c++) srow[r][c] = h.getFloat(280 + 16 * r + 4 * c);
        long need = n * type.itemSize();
        long off = (long) voxOffset;
        if (need > Integer.MAX_VALUE - 1024) {
            throw bad(source, "dim " + dimString(dim) + " of " + type + " needs " + need + " bytes, more than one Java array holds");
        }
        if (off + need > bytes.length) {
            throw bad(source, "data must be " + need + " bytes from vox_offset " + off + " for dim " + dimString(dim) + " and "
                    + type + ", got " + Math.max(0, bytes.length - off) + " (truncated file)");
        }
        ByteBuffer data = ByteBuffer.wrap(bytes, (int) off, (int) need).slice().order(order);
        NiftiImage img = new NiftiImage(type, dim, pixdim, slope, inter, qformCode, sformCode, quatern, qoffset, srow, xyztUnits,
                description, data, source);
        if (qformCode > 0 && sformCode == 0) img.qformAffine(); // fail now, naming the file, if the quaternion is invalid
        return img;
    }

    private static String dimString(int[] dim) {
        StringBuilder s = new StringBuilder("[");
        for (int a = 1; a <= dim[0]; a++) s.append(a > 1 ? ", " : "").append(dim[a]);
        return s.append(']').toString();
    }

    private static String typeName(int code) {
        return switch (code) {
            case 0 -> "unknown";
            case 1 -> "binary";
            case 32 -> "complex64";
            case 128 -> "rgb24";
            case 255 -> "all";
            case 768 -> "uint32";
            case 1024 -> "int64";
            case 1280 -> "uint64";
            case 1536 -> "float128";
            case 1792 -> "complex128";
            case 2048 -> "complex256";
            case 2304 -> "rgba32";
            default -> "not a nifti1.h datatype";
        };
    }

    private static String cString(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) end++;
        return new String(b, off, end - off, StandardCharsets.ISO_8859_1);
    }

    private static String printable(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c >= 32 && c < 127) out.append(c);
            else out.append(String.format("\\x%02x", (int) c));
        }
        return out.append('"').toString();
    }

    // ---- writing ----------------------------------------------------------------------------

    /**
     * Writes {@code image} to {@code file}: gzip-compressed if the name ends in {@code .nii.gz},
     * plain if it ends in {@code .nii}, atomically ({@link AtomicFiles}: a reader never sees half a
     * file, and the file gets the permissions of any new file of the process).
     *
     * @throws IllegalArgumentException if the name ends in neither suffix
     */
    public static void write(Path file, NiftiImage image) throws IOException {
        String name = file.getFileName() == null ? "" : file.getFileName().toString();
        boolean gzip;
        if (name.endsWith(".nii.gz")) gzip = true;
        else if (name.endsWith(".nii")) gzip = false;
        else throw new IllegalArgumentException("Nifti.write: file name must end in .nii or .nii.gz, got " + file);
        byte[] bytes = toBytes(image);
        if (gzip) {
            ByteArrayOutputStream bos = new ByteArrayOutputStream(bytes.length / 2 + 64);
            try (OutputStream z = new GZIPOutputStream(bos, 1 << 16)) {
                z.write(bytes);
            }
            bytes = bos.toByteArray();
        }
        AtomicFiles.write(file, bytes);
    }

    /** The uncompressed little-endian {@code .nii} bytes of {@code image} (header, empty extension flag, voxels). */
    public static byte[] toBytes(NiftiImage image) {
        ByteBuffer src = image.data();
        long total = (long) MIN_VOX_OFFSET + src.remaining();
        if (total > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("Nifti.toBytes: image too large: " + total + " bytes");
        ByteBuffer b = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, HEADER_SIZE);
        b.put(38, (byte) 'r');                   // regular, as nibabel writes
        for (int a = 0; a < 8; a++) b.putShort(40 + 2 * a, (short) image.dim[a]);
        b.putShort(70, (short) image.datatype.code());
        b.putShort(72, (short) image.datatype.bitpix());
        for (int a = 0; a < 8; a++) b.putFloat(76 + 4 * a, image.pixdim[a]);
        b.putFloat(108, MIN_VOX_OFFSET);
        b.putFloat(112, image.sclSlope);
        b.putFloat(116, image.sclInter);
        b.put(123, (byte) image.xyztUnits);
        byte[] descr = image.description.getBytes(StandardCharsets.ISO_8859_1);
        b.put(148, descr, 0, Math.min(descr.length, 79));
        b.putShort(252, (short) image.qformCode);
        b.putShort(254, (short) image.sformCode);
        for (int a = 0; a < 3; a++) b.putFloat(256 + 4 * a, image.quatern[a]);
        for (int a = 0; a < 3; a++) b.putFloat(268 + 4 * a, image.qoffset[a]);
        for (int r = 0; r < 3; r++) for (int c = 0; c < 4; c++) b.putFloat(280 + 16 * r + 4 * c, image.srow[r][c]);
        b.put(344, "n+1\0".getBytes(StandardCharsets.ISO_8859_1));
        // bytes 348..351: extension flag 0 (no extensions)
        b.position(MIN_VOX_OFFSET);
        if (src.order() == ByteOrder.LITTLE_ENDIAN || image.datatype.itemSize() == 1) {
            b.put(src);
        } else {
            copySwapped(src, b, image.datatype);
        }
        return b.array();
    }

    private static void copySwapped(ByteBuffer src, ByteBuffer dst, Datatype type) {
        int n = src.remaining() / type.itemSize();
        for (int i = 0; i < n; i++) {
            switch (type.itemSize()) {
                case 2 -> dst.putShort(src.getShort());
                case 4 -> dst.putInt(src.getInt());
                case 8 -> dst.putLong(src.getLong());
                default -> throw new AssertionError(type);
            }
        }
    }
}
