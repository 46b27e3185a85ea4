package org.segloss.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * A NIfTI-1 image: the header fields segloss uses and the voxel data as stored. Read one with
 * {@link Nifti#read}, build one for writing with {@link #of(Tensor, Datatype, double[], double[][])}
 * or {@link #of(LabelTensor, Datatype, double[], double[][])}. Immutable.
 *
 * <h2>Axis order</h2>
 * NIfTI stores the first axis ({@code i}, header {@code dim[1]}, usually x) fastest, then
 * {@code j} ({@code dim[2]}), then {@code k} ({@code dim[3]}), then {@code t} ({@code dim[4]}).
 * segloss keeps that memory order and reads it as a row-major array indexed {@code [k][j][i]}:
 * <ul>
 *   <li>{@link #toTensor()} / {@link #toLabels()} have shape {@code [nz, ny, nx]} =
 *       {@code [dim[3], dim[2], dim[1]]}, i.e. {@code [D, H, W]}, so {@code W} is NIfTI's {@code i};
 *   <li>a 4-D file with {@code dim[4] = nt > 1} gives {@code [nt, nz, ny, nx]} (volumes as leading
 *       channels, the {@code [C, D, H, W]} layout of segloss images); {@code dim[4] = 1} gives rank 3;
 *   <li>{@link #shape()} and {@link #spacing()} are in that tensor order ({@code spacing()} is
 *       {@code [pixdim[3], pixdim[2], pixdim[1]]});
 *   <li>{@link #affine()} keeps NIfTI's convention: it maps the column {@code (i, j, k, 1)} — W
 *       index, H index, D index — to world millimetres, exactly as the header's {@code srow_*} do.
 * </ul>
 *
 * <h2>Affine</h2>
 * The NIfTI-1 standard (nifti1.h, "3D IMAGE (VOLUME) ORIENTATION AND LOCATION IN SPACE") defines
 * three mappings; {@link #affine()} picks like nibabel's {@code get_best_affine}: the sform if
 * {@code sform_code > 0}, else the qform if {@code qform_code > 0}, else method 1 of the standard,
 * {@code diag(pixdim[1], pixdim[2], pixdim[3])} with zero origin. (nibabel's own fallback,
 * {@code get_base_affine}, differs: it flips x and centres the volume, Analyze style. No file with
 * a code set is affected.) Both raw mappings are also available ({@link #qformAffine()},
 * {@link #sformAffine()}) with their codes.
 *
 * <p>Header numbers are kept as the float32 values the file stores, so a written-then-read image
 * has exactly the same header as the one that was written.
 */
public final class NiftiImage {

    /** The xform codes of nifti1.h ({@code NIFTI_XFORM_*}): what space an affine maps into. */
    public static final int XFORM_UNKNOWN = 0, XFORM_SCANNER_ANAT = 1, XFORM_ALIGNED_ANAT = 2, XFORM_TALAIRACH = 3, XFORM_MNI_152 = 4;

    /** The datatypes segloss reads ({@code datatype} codes from nifti1.h). */
    public enum Datatype {
        UINT8(2, 1, true, 0, 255),
        INT16(4, 2, true, Short.MIN_VALUE, Short.MAX_VALUE),
        INT32(8, 4, true, Integer.MIN_VALUE, Integer.MAX_VALUE),
        FLOAT32(16, 4, false, -Double.MAX_VALUE, Double.MAX_VALUE),
        FLOAT64(64, 8, false, -Double.MAX_VALUE, Double.MAX_VALUE),
        INT8(256, 1, true, Byte.MIN_VALUE, Byte.MAX_VALUE),
        UINT16(512, 2, true, 0, 65535);

        private final int code;
        private final int itemSize;
        private final boolean integer;
        private final double min;
        private final double max;

        Datatype(int code, int itemSize, boolean integer, double min, double max) {
            this.code = code;
            this.itemSize = itemSize;
            this.integer = integer;
            this.min = min;
            this.max = max;
        }

        /** The header's {@code datatype} code (nifti1.h {@code NIFTI_TYPE_*}). */
        public int code() { return code; }

        /** Bytes per voxel. */
        public int itemSize() { return itemSize; }

        /** The header's {@code bitpix}. */
        public int bitpix() { return itemSize * 8; }

        /** Whether voxels are integers. */
        public boolean isInteger() { return integer; }

        /** The NumPy-style name, e.g. {@code "uint8"}, {@code "float32"}. */
        @Override
        public String toString() { return name().toLowerCase(java.util.Locale.ROOT); }

        /** The datatype with this code, or null when segloss does not support it. */
        public static Datatype ofCode(int code) {
            for (Datatype d : values()) if (d.code == code) return d;
            return null;
        }
    }

    /** Which mapping {@link #affine()} uses. */
    public enum AffineSource {
        /** {@code srow_x/y/z}, because {@code sform_code > 0} (method 3 of nifti1.h). */
        SFORM,
        /** the quaternion, because {@code sform_code == 0} and {@code qform_code > 0} (method 2). */
        QFORM,
        /** both codes 0: {@code diag(pixdim[1..3])}, zero origin (method 1). */
        PIXDIM
    }

    final Datatype datatype;
    final int[] dim;          // header dim[0..7]
    final float[] pixdim;     // header pixdim[0..7]
    final float sclSlope, sclInter;
    final int qformCode, sformCode;
    final float[] quatern;    // quatern_b, c, d
    final float[] qoffset;    // qoffset_x, y, z
    final float[][] srow;     // srow_x, srow_y, srow_z (3 x 4)
    final int xyztUnits;
    final String description;
    private final ByteBuffer data; // positioned at voxel 0, order = the file's byte order
    private final ByteOrder byteOrder;
    private final int voxels;
    private final String source;

    NiftiImage(Datatype datatype, int[] dim, float[] pixdim, float sclSlope, float sclInter, int qformCode, int sformCode,
            float[] quatern, float[] qoffset, float[][] srow, int xyztUnits, String description, ByteBuffer data,
            String source) {
        this.datatype = datatype;
        this.dim = dim.clone();
        this.pixdim = pixdim.clone();
        this.sclSlope = sclSlope;
        this.sclInter = sclInter;
        this.qformCode = qformCode;
        this.sformCode = sformCode;
        this.quatern = quatern.clone();
        this.qoffset = qoffset.clone();
        this.srow = new float[][] {srow[0].clone(), srow[1].clone(), srow[2].clone()};
        this.xyztUnits = xyztUnits;
        this.description = description;
        this.data = data.slice().order(data.order());
        this.byteOrder = data.order();
        long n = 1;
        for (int a = 1; a <= dim[0]; a++) n *= dim[a];
        this.voxels = (int) n;
        this.source = source;
    }

    // ---- building images for writing ------------------------------------------------------

    /**
     * An image of {@code volume} stored as {@code type}, ready for {@link Nifti#write}.
     *
     * @param volume  {@code [D, H, W]} (stored with W fastest: NIfTI's {@code i} axis) or
     *                {@code [T, D, H, W]} for a 4-D file
     * @param type    the stored datatype; for an integer type every value must be an integer in
     *                its range (nothing is rounded or clamped)
     * @param spacing voxel size in mm in tensor order {@code [D, H, W]}, each finite and > 0
     * @param affine  4 x 4 voxel-to-world matrix in NIfTI's {@code (i, j, k)} = {@code (W, H, D)}
     *                convention, or null for none (both codes 0; readers then use
     *                {@code diag(spacing)}); see {@link #withXformCode(int)} for the codes written
     */
    public static NiftiImage of(Tensor volume, Datatype type, double[] spacing, double[][] affine) {
        int[] shape = volume.shape().dims();
        float[] v = volume.toArray();
        ByteBuffer b = allocate(type, v.length);
        for (int i = 0; i < v.length; i++) put(b, type, v[i], i, "NiftiImage.of", "volume");
        return build(type, shape, spacing, affine, b.flip());
    }

    /**
     * An image of integer {@code labels} stored as {@code type}; see
     * {@link #of(Tensor, Datatype, double[], double[][])} for the parameters. Every label must be
     * representable in {@code type} (for FLOAT32, |label| &lt;= 2^24).
     */
    public static NiftiImage of(LabelTensor labels, Datatype type, double[] spacing, double[][] affine) {
        int[] shape = labels.shape().dims();
        int[] v = labels.toArray();
        ByteBuffer b = allocate(type, v.length);
        for (int i = 0; i < v.length; i++) {
            if (type == Datatype.FLOAT32 && Math.abs((long) v[i]) > (1 << 24)) {
                throw new IllegalArgumentException("NiftiImage.of: labels must be exact in FLOAT32 (|label| <= 2^24), got "
                        + v[i] + " at flat index " + i);
            }
            put(b, type, v[i], i, "NiftiImage.of", "labels");
        }
        return build(type, shape, spacing, affine, b.flip());
    }

    private static ByteBuffer allocate(Datatype type, int n) {
        if ((long) n * type.itemSize > Integer.MAX_VALUE - 1024) {
            throw new IllegalArgumentException("NiftiImage.of: " + n + " voxels of " + type + " do not fit one Java array");
        }
        return ByteBuffer.allocate(n * type.itemSize).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void put(ByteBuffer b, Datatype type, double v, int i, String op, String param) {
        if (type.integer && (v != Math.rint(v) || v < type.min || v > type.max)) {
            throw new IllegalArgumentException(op + ": " + param + " values must be integers in [" + (long) type.min + ", "
                    + (long) type.max + "] to be stored as " + type + ", got " + v + " at flat index " + i);
        }
        switch (type) {
            case UINT8, INT8 -> b.put((byte) (int) v);
            case INT16, UINT16 -> b.putShort((short) (int) v);
            case INT32 -> b.putInt((int) v);
            case FLOAT32 -> b.putFloat((float) v);
            case FLOAT64 -> b.putDouble(v);
        }
    }

    private static NiftiImage build(Datatype type, int[] shape, double[] spacing, double[][] affine, ByteBuffer data) {
        String op = "NiftiImage.of";
        if (shape.length != 3 && shape.length != 4) {
            throw new IllegalArgumentException(op + ": volume must have rank 3 [D, H, W] or 4 [T, D, H, W], got "
                    + Arrays.toString(shape));
        }
        for (int d : shape) {
            if (d < 1 || d > Short.MAX_VALUE) {
                throw new IllegalArgumentException(op + ": every size must be in [1, 32767] (dim is int16), got "
                        + Arrays.toString(shape));
            }
        }
        if (spacing == null || spacing.length != 3) {
            throw new IllegalArgumentException(op + ": spacing must have 3 entries [D, H, W], got "
                    + (spacing == null ? "null" : Arrays.toString(spacing)));
        }
        for (double s : spacing) {
            if (!(s > 0) || !Double.isFinite(s)) {
                throw new IllegalArgumentException(op + ": spacing entries must be finite and > 0, got " + Arrays.toString(spacing));
            }
        }
        int[] dim = new int[8];
        Arrays.fill(dim, 1);
        dim[0] = shape.length;
        int r = shape.length;
        dim[1] = shape[r - 1];
        dim[2] = shape[r - 2];
        dim[3] = shape[r - 3];
        if (r == 4) dim[4] = shape[0];
        float[] pixdim = new float[8];
        Arrays.fill(pixdim, 1f);
        pixdim[1] = (float) spacing[2];
        pixdim[2] = (float) spacing[1];
        pixdim[3] = (float) spacing[0];
        float[] quatern = new float[3], qoffset = new float[3];
        float[][] srow = new float[3][4];
        int code = 0;
        if (affine != null) {
            checkAffine(affine, spacing, op);
            for (int row = 0; row < 3; row++) for (int c = 0; c < 4; c++) srow[row][c] = (float) affine[row][c];
            code = 2;
        }
        NiftiImage img = new NiftiImage(type, dim, pixdim, 1f, 0f, 0, code, quatern, qoffset, srow, 2 /* NIFTI_UNITS_MM */,
                "segloss", data, "<new image>");
        return affine == null ? img : img.withXformCode(code);
    }

    private static void checkAffine(double[][] a, double[] spacing, String op) {
        if (a.length != 4 || a[3].length != 4 || a[3][0] != 0 || a[3][1] != 0 || a[3][2] != 0 || a[3][3] != 1) {
            throw new IllegalArgumentException(op + ": affine must be 4 x 4 with last row [0, 0, 0, 1], got " + Arrays.deepToString(a));
        }
        for (int row = 0; row < 3; row++) {
            if (a[row].length != 4) throw new IllegalArgumentException(op + ": affine must be 4 x 4, got " + Arrays.deepToString(a));
            for (double v : a[row]) {
                if (!Double.isFinite(v)) throw new IllegalArgumentException(op + ": affine must be finite, got " + Arrays.deepToString(a));
            }
        }
        // column c (i, j, k = W, H, D) must have the length of the voxel size along that axis
        for (int c = 0; c < 3; c++) {
            double norm = Math.sqrt(a[0][c] * a[0][c] + a[1][c] * a[1][c] + a[2][c] * a[2][c]);
            double s = spacing[2 - c];
            if (Math.abs(norm - s) > 1e-5 * Math.max(1, s)) {
                throw new IllegalArgumentException(op + ": affine column " + c + " (voxel axis " + "ijk".charAt(c) + " = tensor axis "
                        + "WHD".charAt(c) + ") must have length spacing[" + (2 - c) + "] = " + s + ", got " + norm);
            }
        }
    }

    /**
     * This image with {@link #affine()} (whichever mapping it currently comes from) written as the
     * sform with {@code sform_code = code} and, when its 3 x 3 part is a rotation (or reflection)
     * times {@code diag(pixdim[1..3])}, also as a quaternion qform with {@code qform_code = code};
     * a sheared affine, or one whose column lengths are not the pixdims, gets {@code qform_code = 0}. The quaternion is computed as in
     * nifti1_io.c {@code nifti_mat44_to_quatern}: {@code qfac = pixdim[0] = -1} when the
     * determinant is negative (the k column is negated first).
     *
     * @param code 1 (scanner), 2 (aligned), 3 (Talairach) or 4 (MNI 152), or 0 for no
     *             orientation at all
     */
    public NiftiImage withXformCode(int code) {
        if (code < 0 || code > 4) {
            throw new IllegalArgumentException("NiftiImage.withXformCode: code must be in 0..4 (nifti1.h NIFTI_XFORM_*), got " + code);
        }
        float[] pd = pixdim.clone();
        float[] q = new float[3], qo = new float[3];
        int qc = 0;
        if (code == 0) {
            pd[0] = 1f;
            return new NiftiImage(datatype, dim, pd, sclSlope, sclInter, 0, 0, q, qo, srow, xyztUnits, description, data, source);
        }
        double[][] s = affine();
        float[][] rows = new float[3][4];
        for (int row = 0; row < 3; row++) for (int c = 0; c < 4; c++) rows[row][c] = (float) s[row][c];
        double[][] r = new double[3][3];
        boolean orthogonal = true;
        for (int c = 0; c < 3; c++) {
            double n = Math.sqrt(s[0][c] * s[0][c] + s[1][c] * s[1][c] + s[2][c] * s[2][c]);
            // the qform takes its scale from pixdim: only an affine with those column lengths has a qform
            if (!(Math.abs(n - pixdim[c + 1]) <= 1e-5 * Math.max(1, pixdim[c + 1]))) orthogonal = false;
            for (int row = 0; row < 3; row++) r[row][c] = s[row][c] / n;
        }
        for (int c1 = 0; c1 < 3; c1++) {
            for (int c2 = c1 + 1; c2 < 3; c2++) {
                double dot = r[0][c1] * r[0][c2] + r[1][c1] * r[1][c2] + r[2][c1] * r[2][c2];
                if (Math.abs(dot) > 1e-5) orthogonal = false;
            }
        }
        pd[0] = 1f;
        if (orthogonal) {
            double det = r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1]) - r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0])
                    + r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]);
            if (det < 0) {
                pd[0] = -1f;
                for (int row = 0; row < 3; row++) r[row][2] = -r[row][2];
            }
            double[] quat = quaternion(r);
            q = new float[] {(float) quat[1], (float) quat[2], (float) quat[3]};
            qo = new float[] {(float) s[0][3], (float) s[1][3], (float) s[2][3]};
            qc = code;
        }
        return new NiftiImage(datatype, dim, pd, sclSlope, sclInter, qc, code, q, qo, rows, xyztUnits, description, data, source);
    }

    /** (a, b, c, d) with a >= 0 for a proper rotation matrix (nifti1_io.c nifti_mat44_to_quatern). */
    static double[] quaternion(double[][] r) {
        double a = r[0][0] + r[1][1] + r[2][2] + 1, b, c, d;
        if (a > 0.5) {
            a = 0.5 * Math.sqrt(a);
            b = 0.25 * (r[2][1] - r[1][2]) / a;
            c = 0.25 * (r[0][2] - r[2][0]) / a;
            d = 0.25 * (r[1][0] - r[0][1]) / a;
        } else {
            double xd = 1 + r[0][0] - (r[1][1] + r[2][2]);
            double yd = 1 + r[1][1] - (r[0][0] + r[2][2]);
            double zd = 1 + r[2][2] - (r[0][0] + r[1][1]);
            if (xd > 1) {
                b = 0.5 * Math.sqrt(xd);
                c = 0.25 * (r[0][1] + r[1][0]) / b;
                d = 0.25 * (r[0][2] + r[2][0]) / b;
                a = 0.25 * (r[2][1] - r[1][2]) / b;
            } else if (yd > 1) {
                c = 0.5 * Math.sqrt(yd);
                b = 0.25 * (r[0][1] + r[1][0]) / c;
                d = 0.25 * (r[1][2] + r[2][1]) / c;
                a = 0.25 * (r[0][2] - r[2][0]) / c;
            } else {
                d = 0.5 * Math.sqrt(zd);
                b = 0.25 * (r[0][2] + r[2][0]) / d;
                c = 0.25 * (r[1][2] + r[2][1]) / d;
                a = 0.25 * (r[1][0] - r[0][1]) / d;
            }
            if (a < 0) {
                a = -a;
                b = -b;
                c = -c;
                d = -d;
            }
        }
        return new double[] {a, b, c, d};
    }

    /**
     * This image with {@code scl_slope} and {@code scl_inter} set: the stored voxels stay as they
     * are and {@link #toTensor()} becomes {@code slope * stored + inter}. Slope 0 means "no
     * scaling" (nifti1.h).
     */
    public NiftiImage withScaling(double slope, double inter) {
        if (!Double.isFinite(slope) || !Double.isFinite(inter)) {
            throw new IllegalArgumentException("NiftiImage.withScaling: slope and inter must be finite, got " + slope + ", " + inter);
        }
        return new NiftiImage(datatype, dim, pixdim, (float) slope, (float) inter, qformCode, sformCode, quatern, qoffset, srow,
                xyztUnits, description, data, source);
    }

    /**
     * New voxels on this image's grid: every header field of this image (spatial {@code dim},
     * {@code pixdim}, qform and sform with their codes, units, description) is kept; the datatype
     * becomes {@code type}, scaling is removed, and {@code dim[4]} becomes the number of volumes.
     * This is how a prediction is written "with the input's header": same shape, same affine.
     *
     * @param volumes {@code [D, H, W]} or {@code [T, D, H, W]} whose {@code [D, H, W]} equals this
     *                image's spatial shape
     * @param type    stored datatype; for integer types every value must be an integer in range
     * @throws IllegalArgumentException on another spatial shape or a value {@code type} cannot hold
     */
    public NiftiImage withVoxels(Tensor volumes, Datatype type) {
        NiftiImage fresh = of(volumes, type, spacing(), null);
        return onThisGrid(fresh, "withVoxels");
    }

    /** {@link #withVoxels(Tensor, Datatype)} for a label map {@code [D, H, W]} (e.g. uint8 predictions). */
    public NiftiImage withVoxels(LabelTensor labels, Datatype type) {
        NiftiImage fresh = of(labels, type, spacing(), null);
        return onThisGrid(fresh, "withVoxels");
    }

    private NiftiImage onThisGrid(NiftiImage fresh, String op) {
        for (int a = 1; a <= 3; a++) {
            if (fresh.dim[a] != dim[a]) {
                int[] s = shape();
                throw new IllegalArgumentException("NiftiImage." + op + ": voxels must have this image's spatial shape [D, H, W] "
                        + Arrays.toString(Arrays.copyOfRange(s, s.length - 3, s.length)) + ", got " + Arrays.toString(fresh.shape()));
            }
        }
        int[] d = dim.clone();
        d[0] = fresh.dim[0];
        d[4] = fresh.dim[4];
        for (int a = 5; a < 8; a++) d[a] = 1;
        return new NiftiImage(fresh.datatype, d, pixdim, 1f, 0f, qformCode, sformCode, quatern, qoffset, srow, xyztUnits, description,
                fresh.data(), source);
    }

    /** This image with the header's {@code descrip} set (at most 79 ASCII characters). */
    public NiftiImage withDescription(String text) {
        if (text == null || text.length() > 79 || !StandardCharsets.US_ASCII.newEncoder().canEncode(text)) {
            throw new IllegalArgumentException("NiftiImage.withDescription: text must be at most 79 ASCII characters, got "
                    + (text == null ? "null" : "\"" + text + "\" (" + text.length() + " chars)"));
        }
        return new NiftiImage(datatype, dim, pixdim, sclSlope, sclInter, qformCode, sformCode, quatern, qoffset, srow, xyztUnits,
                text, data, source);
    }

    // ---- header accessors -----------------------------------------------------------------

    /** The stored datatype. */
    public Datatype datatype() { return datatype; }

    /** The header's {@code dim[0..7]} as stored (NIfTI order: {@code dim[1]} is i / x). */
    public int[] dim() { return dim.clone(); }

    /** The header's {@code pixdim[0..7]} as stored ({@code pixdim[0]} is qfac). */
    public double[] pixdim() {
        double[] p = new double[8];
        for (int i = 0; i < 8; i++) p[i] = pixdim[i];
        return p;
    }

    /**
     * The tensor shape: {@code [dim[3], dim[2], dim[1]]} ({@code [D, H, W]}), or
     * {@code [dim[4], dim[3], dim[2], dim[1]]} when {@code dim[0] = 4} and {@code dim[4] > 1}.
     */
    public int[] shape() {
        return volumes() > 1 ? new int[] {dim[4], dim[3], dim[2], dim[1]} : new int[] {dim[3], dim[2], dim[1]};
    }

    /** {@code dim[4]} for a 4-D file, else 1. */
    public int volumes() { return dim[0] >= 4 ? dim[4] : 1; }

    /** Voxel size in tensor order {@code [D, H, W]} = {@code [pixdim[3], pixdim[2], pixdim[1]]}, in {@link #xyztUnits()}. */
    public double[] spacing() { return new double[] {pixdim[3], pixdim[2], pixdim[1]}; }

    /** {@code scl_slope} as stored (0 or non-finite means no scaling). */
    public double sclSlope() { return sclSlope; }

    /** {@code scl_inter} as stored. */
    public double sclInter() { return sclInter; }

    /** Whether {@link #toTensor()} differs from the stored values: slope finite, nonzero, and (slope, inter) != (1, 0). */
    public boolean isScaled() {
        return Float.isFinite(sclSlope) && sclSlope != 0 && (sclSlope != 1 || sclInter != 0);
    }

    public int qformCode() { return qformCode; }

    public int sformCode() { return sformCode; }

    /** {@code quatern_b, quatern_c, quatern_d}. */
    public double[] quatern() { return new double[] {quatern[0], quatern[1], quatern[2]}; }

    /** {@code qoffset_x, qoffset_y, qoffset_z}. */
    public double[] qoffset() { return new double[] {qoffset[0], qoffset[1], qoffset[2]}; }

    /** {@code xyzt_units} (bits 0-2 space: 1 m, 2 mm, 3 µm; bits 3-5 time). Spacing is reported as stored, never converted. */
    public int xyztUnits() { return xyztUnits; }

    /** The header's {@code descrip}. */
    public String description() { return description; }

    /** The byte order of the file this image came from (little endian for built images). */
    public ByteOrder byteOrder() { return byteOrder; }

    /** File name or {@code "<new image>"}, for messages. */
    public String source() { return source; }

    /** Which of the three mappings {@link #affine()} returns. */
    public AffineSource affineSource() {
        if (sformCode > 0) return AffineSource.SFORM;
        if (qformCode > 0) return AffineSource.QFORM;
        return AffineSource.PIXDIM;
    }

    /**
     * The voxel-to-world 4 x 4 matrix, chosen as in nibabel ({@link #affineSource()}); maps
     * {@code (i, j, k, 1)} = (W index, H index, D index, 1) to world mm.
     */
    public double[][] affine() {
        return switch (affineSource()) {
            case SFORM -> sformAffine();
            case QFORM -> qformAffine();
            case PIXDIM -> new double[][] {{pixdim[1], 0, 0, 0}, {0, pixdim[2], 0, 0}, {0, 0, pixdim[3], 0}, {0, 0, 0, 1}};
        };
    }

    /** {@code srow_x, srow_y, srow_z} and {@code [0, 0, 0, 1]}, whatever {@code sform_code} says. */
    public double[][] sformAffine() {
        double[][] m = new double[4][4];
        for (int r = 0; r < 3; r++) for (int c = 0; c < 4; c++) m[r][c] = srow[r][c];
        m[3][3] = 1;
        return m;
    }

    /**
     * The qform (method 2 of nifti1.h), whatever {@code qform_code} says: {@code R · diag(pixdim[1],
     * pixdim[2], qfac · pixdim[3])} plus {@code qoffset}, with {@code R} the rotation of the unit
     * quaternion {@code (a, b, c, d)}, {@code a = sqrt(1 - b² - c² - d²)}; {@code qfac = -1} if
     * {@code pixdim[0] < 0}, else 1 (nifti1.h: 0 is read as 1). As in nifti1_io.c
     * {@code quatern_to_mat44}, {@code 1 - b² - c² - d² < 1e-7} is read as a = 0 (a rotation by 180
     * degrees whose a is float32 rounding noise) and (b, c, d) renormalised; nibabel takes the square
     * root down to 0 instead, which differs only within 0.04 degrees of 180.
     *
     * @throws IllegalArgumentException when {@code b² + c² + d²} exceeds 1 by more than that
     */
    public double[][] qformAffine() {
        double b = quatern[0], c = quatern[1], d = quatern[2];
        double w2 = 1 - (b * b + c * c + d * d);
        if (w2 < -1.1920929e-7) {
            throw new IllegalArgumentException("NiftiImage.qformAffine: " + source + ": quatern_b/c/d must have b² + c² + d² <= 1,"
                    + " got " + b + ", " + c + ", " + d + " (sum " + (1 - w2) + ")");
        }
        // nifti1_io.c: below 1e-7, a is float32 rounding noise of a 180-degree rotation; sqrt would blow it
        // up to ~3e-4 and tilt the axes by as much, so take a = 0 (the renormalisation below fixes b, c, d)
        double a = w2 < 1e-7 ? 0 : Math.sqrt(w2);
        double n = a * a + b * b + c * c + d * d;
        double[][] m = new double[4][4];
        double[] scale = {pixdim[1], pixdim[2], (pixdim[0] < 0 ? -1 : 1) * (double) pixdim[3]};
        double[][] r;
        if (n < 1e-12) {
            r = new double[][] {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
        } else {
            double s = 2 / n, X = b * s, Y = c * s, Z = d * s;
            double wX = a * X, wY = a * Y, wZ = a * Z, xX = b * X, xY = b * Y, xZ = b * Z, yY = c * Y, yZ = c * Z, zZ = d * Z;
            r = new double[][] {
                {1 - (yY + zZ), xY - wZ, xZ + wY},
                {xY + wZ, 1 - (xX + zZ), yZ - wX},
                {xZ - wY, yZ + wX, 1 - (xX + yY)}};
        }
        for (int row = 0; row < 3; row++) {
            for (int col = 0; col < 3; col++) m[row][col] = r[row][col] * scale[col];
            m[row][3] = qoffset[row];
        }
        m[3][3] = 1;
        return m;
    }

    // ---- voxel data ------------------------------------------------------------------------

    /** The number of voxels (product of {@code dim[1..dim[0]]}). */
    public int voxelCount() { return voxels; }

    /** The stored value of voxel {@code flat} (file order: i fastest), unscaled. */
    double raw(ByteBuffer b, int flat) {
        return switch (datatype) {
            case UINT8 -> Byte.toUnsignedInt(b.get(flat));
            case INT8 -> b.get(flat);
            case INT16 -> b.getShort(flat * 2);
            case UINT16 -> Short.toUnsignedInt(b.getShort(flat * 2));
            case INT32 -> b.getInt(flat * 4);
            case FLOAT32 -> b.getFloat(flat * 4);
            case FLOAT64 -> b.getDouble(flat * 8);
        };
    }

    /** Every voxel, scaled ({@code slope * stored + inter} when {@link #isScaled()}), in file = tensor order. */
    public double[] toDoubles() {
        ByteBuffer b = data.duplicate().order(byteOrder);
        double[] out = new double[voxels];
        boolean scaled = isScaled();
        for (int i = 0; i < voxels; i++) {
            double v = raw(b, i);
            out[i] = scaled ? sclSlope * v + sclInter : v;
        }
        return out;
    }

    /**
     * The scaled voxels as a float32 tensor of {@link #shape()} ({@code [D, H, W]} or
     * {@code [T, D, H, W]}). float64 and scaled values are rounded to the nearest float32.
     *
     * @throws IllegalArgumentException if a finite value overflows float32
     */
    public Tensor toTensor() {
        ByteBuffer b = data.duplicate().order(byteOrder);
        float[] out = new float[voxels];
        boolean scaled = isScaled();
        for (int i = 0; i < voxels; i++) {
            double v = raw(b, i);
            if (scaled) v = sclSlope * v + sclInter;
            float f = (float) v;
            if (Float.isInfinite(f) && !Double.isInfinite(v)) {
                throw new IllegalArgumentException("NiftiImage.toTensor: " + source + ": value " + v + " at " + where(i)
                        + " overflows float32");
            }
            out[i] = f;
        }
        return Tensor.wrap(out, shape());
    }

    /**
     * The stored voxels as labels of {@link #shape()}. Integer datatypes convert exactly; float
     * datatypes only when every voxel is an integer in the int range.
     *
     * @throws IllegalArgumentException if the image is scaled ({@link #isScaled()}: the stored
     *     integers are not the image's values), or a float voxel is not an int
     */
    public LabelTensor toLabels() {
        if (isScaled()) {
            throw new IllegalArgumentException("NiftiImage.toLabels: " + source + ": scl_slope/scl_inter must be absent or 1/0"
                    + " for labels, got " + sclSlope + "/" + sclInter + "; use toTensor() for the scaled values");
        }
        ByteBuffer b = data.duplicate().order(byteOrder);
        int[] out = new int[voxels];
        for (int i = 0; i < voxels; i++) {
            double v = raw(b, i);
            if (!datatype.integer && (v != Math.rint(v) || v < Integer.MIN_VALUE || v > Integer.MAX_VALUE)) {
                throw new IllegalArgumentException("NiftiImage.toLabels: " + source + ": " + datatype + " voxels must be integers"
                        + " in the int range to be labels, got " + v + " at " + where(i));
            }
            out[i] = (int) v;
        }
        return LabelTensor.of(out, shape());
    }

    /** "voxel (i, j, k[, t])" of a flat index, for messages. */
    String where(int flat) {
        int i = flat % dim[1], rest = flat / dim[1];
        int j = rest % dim[2];
        rest /= dim[2];
        int k = rest % dim[3], t = rest / dim[3];
        return "voxel (i, j, k" + (dim[0] >= 4 ? ", t" : "") + ") = (" + i + ", " + j + ", " + k + (dim[0] >= 4 ? ", " + t : "") + ")";
    }

    /** The stored bytes in the file's byte order (read-only view). */
    ByteBuffer data() { return data.asReadOnlyBuffer().order(byteOrder); }

    @Override
    public String toString() {
        return "NiftiImage[" + datatype + " " + Arrays.toString(shape()) + " spacing " + Arrays.toString(spacing()) + " "
                + affineSource() + " from " + source + "]";
    }
}
