package org.segloss.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segloss.io.NiftiImage.AffineSource;
import org.segloss.io.NiftiImage.Datatype;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * {@link Nifti} and {@link NiftiImage}: round trips for every datatype and both compressions,
 * headers written by hand (both byte orders, scaling, qform, sform, extensions), rejections, and
 * the MNI templates of Debian's mricron-data when installed.
 */
class NiftiTest {

    @TempDir
    Path dir;

    // ---- a header written by hand, independently of Nifti.toBytes ------------------------------

    /** Fields of a hand-made header; defaults give a valid 3-D little-endian uint8 file. */
    static final class Hdr {
        ByteOrder order = ByteOrder.LITTLE_ENDIAN;
        int sizeofHdr = 348;
        short[] dim = {3, 4, 3, 2, 1, 1, 1, 1};   // nx = 4, ny = 3, nz = 2
        int datatype = 2, bitpix = 8;
        float[] pixdim = {1, 1, 1, 1, 0, 0, 0, 0};
        float voxOffset = 352, slope = 0, inter = 0;
        int qformCode = 0, sformCode = 0;
        float[] quatern = {0, 0, 0}, qoffset = {0, 0, 0};
        float[][] srow = {{0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}};
        String magic = "n+1\0";
        byte[] data = new byte[0];

        byte[] bytes() {
            int off = (int) voxOffset;
            ByteBuffer b = ByteBuffer.allocate(Math.max(off, 348) + data.length).order(order);
            b.putInt(0, sizeofHdr);
            for (int i = 0; i < 8; i++) b.putShort(40 + 2 * i, dim[i]);
            b.putShort(70, (short) datatype);
            b.putShort(72, (short) bitpix);
            for (int i = 0; i < 8; i++) b.putFloat(76 + 4 * i, pixdim[i]);
            b.putFloat(108, voxOffset);
            b.putFloat(112, slope);
            b.putFloat(116, inter);
            byte[] d = "hand made".getBytes(StandardCharsets.US_ASCII);
            b.put(148, d);
            b.putShort(252, (short) qformCode);
            b.putShort(254, (short) sformCode);
            for (int i = 0; i < 3; i++) b.putFloat(256 + 4 * i, quatern[i]);
            for (int i = 0; i < 3; i++) b.putFloat(268 + 4 * i, qoffset[i]);
            for (int r = 0; r < 3; r++) for (int c = 0; c < 4; c++) b.putFloat(280 + 16 * r + 4 * c, srow[r][c]);
            b.put(344, magic.getBytes(StandardCharsets.ISO_8859_1));
            for (int i = 348; i < off; i++) b.put(i, (byte) 0x5a);   // extension bytes the reader must skip
            if (off >= 352) b.putInt(348, 0);
            b.put(off, data);
            return b.array();
        }
    }

    static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(bos)) {
            z.write(b);
        }
        return bos.toByteArray();
    }

    static void assertAffine(double[][] expected, double[][] actual, double tol) {
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 4; c++) {
                assertEquals(expected[r][c], actual[r][c], tol, "affine[" + r + "][" + c + "] of " + Arrays.deepToString(actual));
            }
        }
    }

    // ---- layout ---------------------------------------------------------------------------------

    @Test
    void fileOrderIsXFastestAndTheTensorIsZYX() throws IOException {
        Hdr h = new Hdr();
        h.pixdim = new float[] {1, 0.5f, 2, 3, 0, 0, 0, 0};
        h.data = new byte[24];
        for (int i = 0; i < 24; i++) h.data[i] = (byte) i;
        NiftiImage img = Nifti.read(h.bytes(), "layout");
        assertArrayEquals(new int[] {2, 3, 4}, img.shape());                // [nz, ny, nx]
        assertArrayEquals(new double[] {3, 2, 0.5}, img.spacing());          // [pixdim[3], pixdim[2], pixdim[1]]
        LabelTensor l = img.toLabels();
        Tensor t = img.toTensor();
        for (int k = 0; k < 2; k++) {
            for (int j = 0; j < 3; j++) {
                for (int i = 0; i < 4; i++) {
                    assertEquals(i + 4 * j + 12 * k, l.get(k, j, i));
                    assertEquals(i + 4 * j + 12 * k, t.get(k, j, i));
                }
            }
        }
        assertEquals("hand made", img.description());
        assertEquals(AffineSource.PIXDIM, img.affineSource());
        assertAffine(new double[][] {{0.5, 0, 0, 0}, {0, 2, 0, 0}, {0, 0, 3, 0}, {0, 0, 0, 1}}, img.affine(), 0);
    }

    @Test
    void fourDimensionalFileGivesVolumesAsLeadingChannels() throws IOException {
        Hdr h = new Hdr();
        h.dim = new short[] {4, 2, 1, 1, 3, 1, 1, 1};
        h.data = new byte[] {1, 2, 3, 4, 5, 6};
        NiftiImage img = Nifti.read(h.bytes(), "4d");
        assertArrayEquals(new int[] {3, 1, 1, 2}, img.shape());
        assertEquals(3, img.volumes());
        assertEquals(6f, img.toTensor().get(2, 0, 0, 1));
        h.dim = new short[] {4, 2, 1, 3, 1, 1, 1, 1};   // dim[4] = 1: plain 3-D
        assertArrayEquals(new int[] {3, 1, 2}, Nifti.read(h.bytes(), "4d1").shape());
    }

    // ---- round trips ------------------------------------------------------------------------------

    static double[] valuesFor(Datatype t) {
        return switch (t) {
            case UINT8 -> new double[] {0, 1, 2, 127, 128, 255};
            case INT8 -> new double[] {-128, -1, 0, 1, 2, 127};
            case INT16 -> new double[] {-32768, -1, 0, 1, 300, 32767};
            case UINT16 -> new double[] {0, 1, 255, 256, 40000, 65535};
            case INT32 -> new double[] {Integer.MIN_VALUE, -70000, 0, 1, 70000, Integer.MAX_VALUE};
            case FLOAT32, FLOAT64 -> new double[] {-1.5, 0, 0.25, 3.0e7, -2.5e-20, 1e30};
        };
    }

    @Test
    void roundTripEveryDatatypeBothCompressions() throws IOException {
        double[][] affine = {{-1.5, 0, 0, 12}, {0, 2, 0, -7.25}, {0, 0, 3, 40}, {0, 0, 0, 1}};
        double[] spacing = {3, 2, 1.5};   // [D, H, W]
        for (Datatype type : Datatype.values()) {
            for (String suffix : new String[] {".nii", ".nii.gz"}) {
                double[] v = valuesFor(type);
                float[] f = new float[v.length];
                for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
                NiftiImage img = type == Datatype.INT32   // INT32 extremes are not float32-exact: write them as labels
                        ? NiftiImage.of(LabelTensor.of(toInts(v), 1, 2, 3), type, spacing, affine)
                        : NiftiImage.of(Tensor.of(f, 1, 2, 3), type, spacing, affine);
                Path p = dir.resolve(type + suffix);
                Nifti.write(p, img);
                byte[] raw = Files.readAllBytes(p);
                assertEquals(suffix.endsWith(".gz"), (raw[0] & 0xff) == 0x1f && (raw[1] & 0xff) == 0x8b, p.toString());
                NiftiImage back = Nifti.read(p);
                String what = type + suffix;
                assertEquals(type, back.datatype(), what);
                assertArrayEquals(new int[] {1, 2, 3}, back.shape(), what);
                assertArrayEquals(new int[] {3, 3, 2, 1, 1, 1, 1, 1}, back.dim(), what);
                assertArrayEquals(spacing, back.spacing(), what);
                assertEquals(2, back.sformCode(), what);
                assertEquals(2, back.qformCode(), what);
                assertAffine(affine, back.affine(), 0);
                assertAffine(affine, back.qformAffine(), 1e-6);
                double[] d = back.toDoubles();
                for (int i = 0; i < v.length; i++) {
                    double expect = type == Datatype.FLOAT32 ? (float) v[i] : v[i];
                    if (type == Datatype.FLOAT64) expect = f[i];   // went through a float32 tensor
                    assertEquals(expect, d[i], 0, what + " voxel " + i);
                    assertEquals((float) expect, back.toTensor().at(i), 0, what + " voxel " + i);
                }
                if (type.isInteger()) assertArrayEquals(toInts(v), back.toLabels().toArray(), what);
            }
        }
    }

    static int[] toInts(double[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (int) v[i];
        return out;
    }

    @Test
    void writtenHeaderHasTheStandardLayout() {
        NiftiImage img = NiftiImage.of(LabelTensor.of(new int[24], 2, 3, 4), Datatype.INT16, new double[] {3, 2, 1}, null);
        ByteBuffer b = ByteBuffer.wrap(Nifti.toBytes(img)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(352 + 48, b.capacity());
        assertEquals(348, b.getInt(0));
        assertEquals(4, b.getShort(42));     // dim[1] = W
        assertEquals(3, b.getShort(44));     // dim[2] = H
        assertEquals(2, b.getShort(46));     // dim[3] = D
        assertEquals(4, b.getShort(70));     // datatype int16
        assertEquals(16, b.getShort(72));    // bitpix
        assertEquals(1f, b.getFloat(80));    // pixdim[1] = W spacing
        assertEquals(3f, b.getFloat(88));    // pixdim[3] = D spacing
        assertEquals(352f, b.getFloat(108)); // vox_offset
        assertEquals(0, b.getShort(252));    // no affine: both codes 0
        assertEquals(0, b.getShort(254));
        assertEquals("n+1\0", new String(b.array(), 344, 4, StandardCharsets.ISO_8859_1));
        assertEquals(0, b.getInt(348));      // no extensions
    }

    @Test
    void labelsRoundTripInFloat32AndRejectNonIntegers() throws IOException {
        LabelTensor l = LabelTensor.of(new int[] {0, 3, -2, 1 << 24}, 1, 1, 4);
        Path p = dir.resolve("labels.nii");
        Nifti.write(p, NiftiImage.of(l, Datatype.FLOAT32, new double[] {1, 1, 1}, null));
        assertArrayEquals(l.toArray(), Nifti.readLabels(p).toArray());
        Nifti.write(p, NiftiImage.of(Tensor.of(new float[] {0, 1.5f}, 1, 1, 2), Datatype.FLOAT32, new double[] {1, 1, 1}, null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Nifti.readLabels(p));
        assertTrue(e.getMessage().contains("1.5") && e.getMessage().contains("(1, 0, 0)"), e.getMessage());
    }

    @Test
    void writerOverwritesAtomicallyAndLeavesNoTemporaryFiles() throws IOException {
        Path p = dir.resolve("x.nii.gz");
        Nifti.write(p, NiftiImage.of(Tensor.of(new float[] {1}, 1, 1, 1), Datatype.FLOAT32, new double[] {1, 1, 1}, null));
        Nifti.write(p, NiftiImage.of(Tensor.of(new float[] {2}, 1, 1, 1), Datatype.FLOAT32, new double[] {1, 1, 1}, null));
        assertEquals(2f, Nifti.readTensor(p).at(0));
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Nifti.write(dir.resolve("x.img"),
                NiftiImage.of(Tensor.of(new float[] {2}, 1, 1, 1), Datatype.FLOAT32, new double[] {1, 1, 1}, null)));
        assertTrue(e.getMessage().contains(".nii.gz"), e.getMessage());
    }

    @Test
    void writerRejectsValuesTheDatatypeCannotHold() {
        double[] s = {1, 1, 1};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NiftiImage.of(LabelTensor.of(new int[] {0, 256}, 1, 1, 2), Datatype.UINT8, s, null));
        assertTrue(e.getMessage().contains("256") && e.getMessage().contains("[0, 255]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> NiftiImage.of(Tensor.of(new float[] {0.5f}, 1, 1, 1), Datatype.INT16, s, null));
        assertTrue(e.getMessage().contains("0.5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> NiftiImage.of(Tensor.of(new float[] {1}, 1, 1, 1), Datatype.FLOAT32, new double[] {1, 0, 1}, null));
        assertTrue(e.getMessage().contains("spacing"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NiftiImage.of(Tensor.of(new float[] {1}, 1, 1, 1), Datatype.FLOAT32,
                new double[] {1, 1, 2}, new double[][] {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}}));
        assertTrue(e.getMessage().contains("spacing[2] = 2.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> NiftiImage.of(Tensor.of(new float[] {1}, 1, 1), Datatype.FLOAT32, s, null));
        assertTrue(e.getMessage().contains("rank 3"), e.getMessage());
    }

    // ---- hand-written files: byte order, datatypes, scaling, offsets -----------------------------

    @Test
    void bigEndianFilesReadLikeLittleEndianOnes() throws IOException {
        for (ByteOrder order : new ByteOrder[] {ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN}) {
            Hdr h = new Hdr();
            h.order = order;
            h.dim = new short[] {3, 3, 1, 1, 1, 1, 1, 1};
            h.datatype = 4;
            h.bitpix = 16;
            h.data = ByteBuffer.allocate(6).order(order).putShort((short) -2).putShort((short) 258).putShort((short) 32767).array();
            NiftiImage img = Nifti.read(gzip(h.bytes()), "int16 " + order);
            assertEquals(order, img.byteOrder());
            assertArrayEquals(new int[] {-2, 258, 32767}, img.toLabels().toArray());
            // and re-written little endian with the same values
            NiftiImage again = Nifti.read(Nifti.toBytes(img), "rewritten");
            assertEquals(ByteOrder.LITTLE_ENDIAN, again.byteOrder());
            assertArrayEquals(new int[] {-2, 258, 32767}, again.toLabels().toArray());

            h.datatype = 16;
            h.bitpix = 32;
            h.data = ByteBuffer.allocate(12).order(order).putFloat(-1.25f).putFloat(3e-9f).putFloat(7f).array();
            assertArrayEquals(new float[] {-1.25f, 3e-9f, 7f}, Nifti.read(h.bytes(), "float32").toTensor().toArray());
        }
    }

    @Test
    void int8Uint16AndFloat64FilesRead() throws IOException {
        Hdr h = new Hdr();
        h.order = ByteOrder.BIG_ENDIAN;
        h.dim = new short[] {3, 2, 1, 1, 1, 1, 1, 1};
        h.datatype = 256;
        h.bitpix = 8;
        h.data = new byte[] {(byte) -128, 127};
        assertArrayEquals(new int[] {-128, 127}, Nifti.read(h.bytes(), "int8").toLabels().toArray());
        h.datatype = 512;
        h.bitpix = 16;
        h.data = ByteBuffer.allocate(4).putShort((short) 65535).putShort((short) 1).array();
        assertArrayEquals(new int[] {65535, 1}, Nifti.read(h.bytes(), "uint16").toLabels().toArray());
        h.datatype = 64;
        h.bitpix = 64;
        h.data = ByteBuffer.allocate(16).putDouble(Math.PI).putDouble(-2).array();
        NiftiImage img = Nifti.read(h.bytes(), "float64");
        assertArrayEquals(new double[] {Math.PI, -2}, img.toDoubles());
        assertEquals((float) Math.PI, img.toTensor().at(0));
        String m = assertThrows(IllegalArgumentException.class, img::toLabels).getMessage();
        assertTrue(m.contains("float64") && m.contains("3.14159"), m);
    }

    @Test
    void sclSlopeAndInterceptScaleTheFloatViewOnly() throws IOException {
        Hdr h = new Hdr();
        h.dim = new short[] {3, 3, 1, 1, 1, 1, 1, 1};
        h.datatype = 4;
        h.bitpix = 16;
        h.data = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN).putShort((short) -4).putShort((short) 0)
                .putShort((short) 1000).array();
        h.slope = 0.5f;
        h.inter = -10f;
        NiftiImage img = Nifti.read(h.bytes(), "scaled");
        assertTrue(img.isScaled());
        assertArrayEquals(new float[] {-12f, -10f, 490f}, img.toTensor().toArray());
        assertArrayEquals(new double[] {-12, -10, 490}, img.toDoubles());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, img::toLabels);
        assertTrue(e.getMessage().contains("scl_slope"), e.getMessage());
        // slope 0 means "no scaling" (nifti1.h), whatever the intercept; so does a NaN slope (nibabel)
        for (float slope : new float[] {0f, Float.NaN}) {
            h.slope = slope;
            NiftiImage plain = Nifti.read(h.bytes(), "slope " + slope);
            assertFalse(plain.isScaled());
            assertArrayEquals(new float[] {-4f, 0f, 1000f}, plain.toTensor().toArray());
            assertArrayEquals(new int[] {-4, 0, 1000}, plain.toLabels().toArray());
        }
        // and a written scaled image reads back scaled
        NiftiImage w = NiftiImage.of(LabelTensor.of(new int[] {2, 4}, 1, 1, 2), Datatype.UINT8, new double[] {1, 1, 1}, null)
                .withScaling(2.5, 1);
        assertArrayEquals(new float[] {6f, 11f}, Nifti.read(Nifti.toBytes(w), "w").toTensor().toArray());
    }

    @Test
    void voxOffsetBeyond352SkipsExtensions() throws IOException {
        Hdr h = new Hdr();
        h.voxOffset = 400;
        h.data = new byte[24];
        Arrays.fill(h.data, (byte) 9);
        NiftiImage img = Nifti.read(h.bytes(), "ext");
        assertEquals(24 * 9, (int) sum(img.toDoubles()));
    }

    static double sum(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s;
    }

    // ---- affines ----------------------------------------------------------------------------------

    @Test
    void withVoxelsKeepsTheHeaderOfTheGridItIsOn() throws IOException {
        Hdr h = new Hdr();
        h.data = new byte[24];
        h.qformCode = 1;
        h.quatern = new float[] {0, 0, (float) Math.sqrt(0.5)};
        h.qoffset = new float[] {10, 20, 30};
        h.pixdim = new float[] {-1, 2, 3, 4, 0, 0, 0, 0};
        NiftiImage input = Nifti.read(h.bytes(), "input").withScaling(2, 1);
        int[] shape = input.shape();
        int[] labels = new int[24];
        for (int i = 0; i < 24; i++) labels[i] = i % 3;
        NiftiImage pred = input.withVoxels(LabelTensor.of(labels, shape), Datatype.UINT8);
        Path f = dir.resolve("pred.nii.gz");
        Nifti.write(f, pred);
        NiftiImage back = Nifti.read(f);
        assertArrayEquals(shape, back.shape());
        assertEquals(Datatype.UINT8, back.datatype());
        assertFalse(back.isScaled());
        assertEquals(input.qformCode(), back.qformCode());
        assertEquals(input.sformCode(), back.sformCode());
        assertArrayEquals(input.quatern(), back.quatern());
        assertArrayEquals(input.pixdim(), back.pixdim());
        assertAffine(input.affine(), back.affine(), 0);
        assertArrayEquals(labels, back.toLabels().toArray());

        // probabilities: two volumes on the same grid
        NiftiImage probs = input.withVoxels(Tensor.full(0.5f, 2, shape[0], shape[1], shape[2]), Datatype.FLOAT32);
        assertEquals(2, probs.volumes());
        assertAffine(input.affine(), Nifti.read(Nifti.toBytes(probs), "p").affine(), 0);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> input.withVoxels(LabelTensor.zeros(shape[0], shape[1], shape[2] + 1), Datatype.UINT8));
        assertTrue(e.getMessage().contains("spatial shape"), e.getMessage());
    }

    @Test
    void qformOnlyFileUsesTheQuaternion() throws IOException {
        Hdr h = new Hdr();
        h.data = new byte[24];
        h.qformCode = 1;
        // 90 degrees about z: (a, b, c, d) = (cos 45°, 0, 0, sin 45°); qfac = -1 flips k
        h.quatern = new float[] {0, 0, (float) Math.sqrt(0.5)};
        h.qoffset = new float[] {10, 20, 30};
        h.pixdim = new float[] {-1, 2, 3, 4, 0, 0, 0, 0};
        h.srow = new float[][] {{9, 9, 9, 9}, {9, 9, 9, 9}, {9, 9, 9, 9}};   // sform_code 0: ignored
        NiftiImage img = Nifti.read(h.bytes(), "qform");
        assertEquals(AffineSource.QFORM, img.affineSource());
        // by hand: R = [[0, -1, 0], [1, 0, 0], [0, 0, 1]], columns scaled by (2, 3, qfac * 4)
        double[][] expected = {{0, -3, 0, 10}, {2, 0, 0, 20}, {0, 0, -4, 30}, {0, 0, 0, 1}};
        assertAffine(expected, img.affine(), 1e-6);

        // ch2.nii.gz's qform fields (code 0 there): b = 1 is 180 degrees about x
        h.quatern = new float[] {1, 0, 0};
        h.pixdim = new float[] {1, 1, 1, 1, 0, 0, 0, 0};
        h.qoffset = new float[] {0, 0, 0};
        assertAffine(new double[][] {{1, 0, 0, 0}, {0, -1, 0, 0}, {0, 0, -1, 0}, {0, 0, 0, 1}}, Nifti.read(h.bytes(), "b1").affine(),
                1e-12);

        h.quatern = new float[] {0.8f, 0.8f, 0};   // b² + c² = 1.28 > 1
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Nifti.read(h.bytes(), "badq"));
        assertTrue(e.getMessage().contains("badq") && e.getMessage().contains("quatern"), e.getMessage());
    }

    @Test
    void sformWinsOverQform() throws IOException {
        Hdr h = new Hdr();
        h.data = new byte[24];
        h.qformCode = 1;
        h.quatern = new float[] {0, 0, (float) Math.sqrt(0.5)};
        h.sformCode = 4;
        h.srow = new float[][] {{0.5f, 0.1f, 0, -90}, {0, 1, 0.2f, -126}, {0, 0, 2, -72}};   // sheared: no qform could say this
        NiftiImage img = Nifti.read(h.bytes(), "sform");
        assertEquals(AffineSource.SFORM, img.affineSource());
        assertEquals(4, img.sformCode());
        assertEquals(1, img.qformCode());
        assertAffine(new double[][] {{0.5, 0.1, 0, -90}, {0, 1, 0.2, -126}, {0, 0, 2, -72}, {0, 0, 0, 1}}, img.affine(), 1e-7);
        assertAffine(new double[][] {{0, -1, 0, 0}, {1, 0, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}}, img.qformAffine(), 1e-7);
    }

    @Test
    void writerDerivesTheQformFromAnOrthonormalAffineOnly() throws IOException {
        // rotations about z by 30 degrees times diag(1.5, 2, ±3) (spacing [D, H, W] = [3, 2, 1.5]), and the
        // reflections diag(-1.5, 2, 3) (LAS, qfac = -1 and 180 degrees about y) and -x times the 30-degree
        // rotation (180 degrees about a tilted axis in the xy plane: a = 0 up to float32 noise)
        double c = Math.cos(Math.PI / 6), s = Math.sin(Math.PI / 6);
        double[][][] cases = {
            {{1.5 * c, -2 * s, 0, 5}, {1.5 * s, 2 * c, 0, -6}, {0, 0, 3, 7}, {0, 0, 0, 1}},
            {{1.5 * c, -2 * s, 0, 5}, {1.5 * s, 2 * c, 0, -6}, {0, 0, -3, 7}, {0, 0, 0, 1}},
            {{-1.5, 0, 0, 5}, {0, 2, 0, -6}, {0, 0, 3, 7}, {0, 0, 0, 1}},
            {{-1.5 * c, -2 * s, 0, 5}, {-1.5 * s, 2 * c, 0, -6}, {0, 0, 3, 7}, {0, 0, 0, 1}}};
        double[] qfac = {1, -1, -1, -1};
        for (int k = 0; k < cases.length; k++) {
            double[][] affine = cases[k];
            NiftiImage img = NiftiImage.of(Tensor.zeros(2, 2, 2), Datatype.FLOAT32, new double[] {3, 2, 1.5}, affine).withXformCode(4);
            NiftiImage back = Nifti.read(Nifti.toBytes(img), "rot");
            assertEquals(4, back.qformCode());
            assertEquals(4, back.sformCode());
            assertEquals(qfac[k], back.pixdim()[0], "case " + k);
            assertAffine(affine, back.qformAffine(), 1e-6);
            assertAffine(affine, back.affine(), 1e-6);
        }

        double[][] sheared = {{1, 0, 0, 0}, {0, 0.8, 0.6, 0}, {0, 0.6, 0.8, 0}, {0, 0, 0, 1}};
        NiftiImage sh = Nifti.read(Nifti.toBytes(NiftiImage.of(Tensor.zeros(2, 2, 2), Datatype.FLOAT32, new double[] {1, 1, 1},
                sheared)), "shear");
        assertEquals(0, sh.qformCode());
        assertEquals(2, sh.sformCode());
        assertAffine(sheared, sh.affine(), 1e-7);
        // a written image without affine has neither code and the pixdim affine
        NiftiImage none = Nifti.read(Nifti.toBytes(NiftiImage.of(Tensor.zeros(2, 2, 2), Datatype.FLOAT32, new double[] {3, 2, 1},
                null)), "none");
        assertEquals(AffineSource.PIXDIM, none.affineSource());
        assertAffine(new double[][] {{1, 0, 0, 0}, {0, 2, 0, 0}, {0, 0, 3, 0}, {0, 0, 0, 1}}, none.affine(), 0);
    }

    @Test
    void withXformCodeKeepsTheCurrentAffineWhereverItCameFrom() throws IOException {
        Hdr h = new Hdr();
        h.data = new byte[24];
        h.qformCode = 1;   // a qform-only file: its sform rows are zero
        h.quatern = new float[] {0, 0, (float) Math.sqrt(0.5)};
        h.qoffset = new float[] {10, 20, 30};
        h.pixdim = new float[] {-1, 2, 3, 4, 0, 0, 0, 0};
        NiftiImage q = Nifti.read(h.bytes(), "qform");
        NiftiImage re = Nifti.read(Nifti.toBytes(q.withXformCode(3)), "rewritten");
        assertEquals(3, re.sformCode());
        assertEquals(3, re.qformCode());
        assertAffine(q.affine(), re.sformAffine(), 1e-6);
        assertAffine(q.affine(), re.qformAffine(), 1e-6);
        // an sform whose column lengths are not the pixdims cannot be a qform
        h.qformCode = 0;
        h.sformCode = 1;
        h.srow = new float[][] {{5, 0, 0, 0}, {0, 5, 0, 0}, {0, 0, 5, 0}};
        NiftiImage s5 = Nifti.read(Nifti.toBytes(Nifti.read(h.bytes(), "s5").withXformCode(2)), "s5b");
        assertEquals(2, s5.sformCode());
        assertEquals(0, s5.qformCode());
        assertEquals(5, s5.affine()[1][1]);
    }

    // ---- rejections -------------------------------------------------------------------------------

    static String rejected(byte[] bytes, String source) {
        return assertThrows(IllegalArgumentException.class, () -> Nifti.read(bytes, source)).getMessage();
    }

    @Test
    void truncatedFilesAreRejectedNamingTheFile() throws IOException {
        Path p = dir.resolve("t.nii");
        Nifti.write(p, NiftiImage.of(Tensor.zeros(2, 3, 4), Datatype.FLOAT32, new double[] {1, 1, 1}, null));
        byte[] full = Files.readAllBytes(p);
        Files.write(p, Arrays.copyOf(full, full.length - 1));
        String m = assertThrows(IllegalArgumentException.class, () -> Nifti.read(p)).getMessage();
        assertTrue(m.contains(p.toString()) && m.contains("truncated") && m.contains("96 bytes"), m);
        m = rejected(Arrays.copyOf(full, 200), "short");
        assertTrue(m.contains("short") && m.contains("348"), m);

        byte[] gz = gzip(full);
        Path pz = dir.resolve("t.nii.gz");
        Files.write(pz, Arrays.copyOf(gz, gz.length - 20));
        IOException io = assertThrows(IOException.class, () -> Nifti.read(pz));
        assertTrue(io.getMessage().contains(pz.toString()) && io.getMessage().contains("gzip"), io.getMessage());
    }

    @Test
    void badMagicPairFilesAndNifti2AreRejected() {
        Hdr h = new Hdr();
        h.data = new byte[24];
        h.magic = "xyz\0";
        String m = rejected(h.bytes(), "magic");
        assertTrue(m.contains("magic") && m.contains("\"xyz\\x00\""), m);
        h.magic = "ni1\0";
        m = rejected(h.bytes(), "pair");
        assertTrue(m.contains("ni1") && m.contains(".hdr/.img"), m);
        h.magic = "n+1\0";
        h.sizeofHdr = 540;
        m = rejected(h.bytes(), "nifti2");
        assertTrue(m.contains("NIfTI-2"), m);
        h.order = ByteOrder.BIG_ENDIAN;
        m = rejected(h.bytes(), "nifti2be");
        assertTrue(m.contains("NIfTI-2"), m);
        h.sizeofHdr = 100;
        m = rejected(h.bytes(), "size");
        assertTrue(m.contains("sizeof_hdr") && m.contains("100"), m);
    }

    @Test
    void unsupportedDatatypeAndBadFieldsAreRejectedNamingTheField() {
        Hdr h = new Hdr();
        h.data = new byte[24 * 8];
        h.datatype = 32;   // complex64
        h.bitpix = 64;
        String m = rejected(h.bytes(), "complex");
        assertTrue(m.contains("datatype") && m.contains("got 32") && m.contains("complex64"), m);
        h.datatype = 2;
        h.bitpix = 16;
        m = rejected(h.bytes(), "bitpix");
        assertTrue(m.contains("bitpix must be 8") && m.contains("got 16"), m);
        h.bitpix = 8;
        h.dim = new short[] {5, 4, 3, 2, 1, 1, 1, 1};
        m = rejected(h.bytes(), "rank");
        assertTrue(m.contains("dim[0]") && m.contains("got 5"), m);
        h.dim = new short[] {3, 4, 0, 2, 1, 1, 1, 1};
        m = rejected(h.bytes(), "zero");
        assertTrue(m.contains("dim[2]") && m.contains("got 0"), m);
        h.dim = new short[] {3, 4, 3, 2, 1, 1, 1, 1};
        h.pixdim = new float[] {1, 1, 0, 1, 0, 0, 0, 0};
        m = rejected(h.bytes(), "pixdim");
        assertTrue(m.contains("pixdim[2]"), m);
        h.pixdim = new float[] {1, 1, 1, 1, 0, 0, 0, 0};
        h.voxOffset = 348;
        m = rejected(h.bytes(), "offset");
        assertTrue(m.contains("vox_offset") && m.contains("348"), m);
    }

    // ---- the real MNI templates (Debian package mricron-data), when installed -------------------

    static final Path TEMPLATES = Path.of("/usr/share/mricron/templates");

    /**
     * Reference values from nibabel 5.0.0 (Debian python3-nibabel): {@code img = nib.load(f)};
     * {@code img.shape}, {@code img.header.get_zooms()}, {@code img.affine},
     * {@code img.get_fdata().sum()}, {@code np.count_nonzero(...)}, {@code np.unique(...,
     * return_counts=True)}; and {@code get_fdata()[90, 126, 72]} etc. with nibabel's (i, j, k)
     * indexing, which is {@code get(k, j, i)} here.
     */
    @Test
    void mricronTemplatesMatchNibabel() throws IOException {
        Path ch2 = TEMPLATES.resolve("ch2.nii.gz"), aal = TEMPLATES.resolve("aal.nii.gz");
        assumeTrue(Files.exists(ch2) && Files.exists(aal), "mricron-data not installed");
        double[][] mni = {{1, 0, 0, -90}, {0, 1, 0, -125}, {0, 0, 1, -71}, {0, 0, 0, 1}};
        for (Path p : new Path[] {ch2, aal}) {
            NiftiImage img = Nifti.read(p);
            assertEquals(Datatype.UINT8, img.datatype());
            assertArrayEquals(new int[] {181, 217, 181}, img.shape());
            assertArrayEquals(new double[] {1, 1, 1}, img.spacing());
            assertEquals(4, img.sformCode());
            assertEquals(0, img.qformCode());
            assertEquals(AffineSource.SFORM, img.affineSource());
            assertAffine(mni, img.affine(), 0);
        }
        NiftiImage t1 = Nifti.read(ch2);
        assertEquals("spm - algebra", t1.description());
        Tensor t = t1.toTensor();
        double s = 0;
        long nonzero = 0;
        for (int i = 0; i < t.size(); i++) {
            s += t.at(i);
            if (t.at(i) != 0) nonzero++;
        }
        assertEquals(317151210.0, s, 0);
        assertEquals(4151607, nonzero);
        assertEquals(40f, t.get(72, 126, 90));
        assertEquals(110f, t.get(60, 150, 100));

        LabelTensor labels = Nifti.readLabels(aal);
        long[] count = new long[256];
        long sum = 0;
        for (int i = 0; i < labels.size(); i++) {
            count[labels.at(i)]++;
            sum += labels.at(i);
        }
        assertEquals(76656511L, sum);
        assertEquals(5629168L, count[0]);
        long[] expected = {7469, 7606, 1733, 1965, 7682, 7941, 7942, 8510, 2285, 2188, 8700, 8399};
        int[] codes = {37, 38, 41, 42, 71, 72, 73, 74, 75, 76, 77, 78};
        for (int c = 0; c < codes.length; c++) assertEquals(expected[c], count[codes[c]], "AAL label " + codes[c]);
        int distinct = 0;
        for (long n : count) if (n > 0) distinct++;
        assertEquals(117, distinct);
    }
}
