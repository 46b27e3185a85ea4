package org.segloss.examples.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.segloss.examples.unet.MniAtlas;
import org.segloss.io.Nifti;
import org.segloss.io.NiftiImage;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * Writes the Colin27/AAL deep-grey-matter task of {@link MniAtlas} as an nnU-Net v2 raw data set
 * folder: a real data set in that layout, for tests and for trying {@code --data DIR}.
 *
 * <pre>
 * DIR/dataset.json                        channel_names {"0": "T1"}, the 7 classes, numTraining 2, .nii.gz
 * DIR/imagesTr/colin27_left_0000.nii.gz   the T1's own intensities (uint8 as in ch2.nii.gz) in the left crop
 * DIR/imagesTr/colin27_right_0000.nii.gz  the right hemisphere, mirrored like MniAtlas's validation crop
 * DIR/labelsTr/colin27_left.nii.gz        classes 0..6 (uint8)
 * DIR/labelsTr/colin27_right.nii.gz
 * DIR/splits_final.json                   fold 0: train left, validate right; fold 1: the reverse
 * </pre>
 *
 * The two cases are {@link MniAtlas#load}'s crops at 1 mm, each with its affine (MNI space, xform
 * code 4), so both overlay {@code ch2.nii.gz} where their voxels came from. The images hold the raw
 * T1 values rather than MniAtlas's z-scored ones (preprocessing is the reader's job): each crop
 * voxel takes the T1 voxel its affine points to, and 0 where that lies outside the volume or on
 * the other side of the midline (where MniAtlas pads). The folder appears whole or not at all: it
 * is written next to {@code DIR} under a temporary name and then renamed.
 */
public final class MniExport {
    /** Case ids. */
    public static final String LEFT = "colin27_left", RIGHT = "colin27_right";

    private MniExport() {}

    /**
     * Writes the folder {@code out} from the templates in {@code mniDir}.
     *
     * @throws IllegalArgumentException if {@code out} exists and is not an empty directory
     * @throws java.io.FileNotFoundException if the templates are missing (naming them and the package)
     */
    public static void export(Path mniDir, Path out) throws IOException {
        if (Files.exists(out)) {
            boolean empty;
            try (Stream<Path> s = Files.isDirectory(out) ? Files.list(out) : Stream.of(out)) {
                empty = Files.isDirectory(out) && s.findAny().isEmpty();
            }
            if (!empty) throw new IllegalArgumentException("DIR " + out + ": exists and is not an empty directory; choose a new folder");
        }
        MniAtlas.Split split = MniAtlas.load(mniDir, 1);
        NiftiImage t1 = Nifti.read(mniDir.resolve("ch2.nii.gz"));
        Path parent = out.toAbsolutePath().normalize().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempDirectory(parent, "." + out.getFileName() + ".tmp-");
        try {
            Files.createDirectories(tmp.resolve("imagesTr"));
            Files.createDirectories(tmp.resolve("labelsTr"));
            writeCase(tmp, LEFT, t1, split.train().labels(), split.spacing(), split.trainAffine(), true);
            writeCase(tmp, RIGHT, t1, split.validation().labels(), split.spacing(), split.validationAffine(), false);
            Files.writeString(tmp.resolve("dataset.json"), datasetJson(), StandardCharsets.UTF_8);
            Files.writeString(tmp.resolve(Folds.SPLITS_FILE), "[\n  {\"train\": [\"" + LEFT + "\"], \"val\": [\"" + RIGHT + "\"]},\n"
                    + "  {\"train\": [\"" + RIGHT + "\"], \"val\": [\"" + LEFT + "\"]}\n]\n", StandardCharsets.UTF_8);
            if (Files.isDirectory(out)) Files.delete(out);   // empty, checked above
            try {
                Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException e) {
                throw new IllegalArgumentException("DIR " + out + ": appeared while exporting; choose a new folder", e);
            }
        } finally {
            if (Files.exists(tmp)) deleteTree(tmp);
        }
    }

    static String datasetJson() {
        StringBuilder labels = new StringBuilder();
        List<String> names = MniAtlas.CLASS_NAMES;
        for (int c = 0; c < names.size(); c++) labels.append(c == 0 ? "" : ", ").append('"').append(names.get(c)).append("\": ").append(c);
        return "{\n"
                + "  \"name\": \"Colin27AAL\",\n"
                + "  \"description\": \"Deep grey matter of the Colin27 T1 (ch2.nii.gz) labelled by AAL (Tzourio-Mazoyer et al."
                + " 2002), left and right merged; the two hemispheres are the two cases, the right one mirrored. Written by"
                + " segloss export-mni from Debian's mricron-data.\",\n"
                + "  \"reference\": \"Holmes et al., J Comput Assist Tomogr 22:324, 1998; Tzourio-Mazoyer et al., NeuroImage"
                + " 15:273, 2002\",\n"
                + "  \"channel_names\": {\"0\": \"T1\"},\n"
                + "  \"labels\": {" + labels + "},\n"
                + "  \"numTraining\": 2,\n"
                + "  \"file_ending\": \".nii.gz\"\n"
                + "}\n";
    }

    private static void writeCase(Path dir, String id, NiftiImage t1, LabelTensor labels, double[] spacing, double[][] affine,
            boolean left) throws IOException {
        Tensor raw = t1.toTensor();
        int[] src = t1.shape();     // [K, J, I]
        double[][] toSource = multiply(invert(t1.affine()), affine);
        int[] shape = labels.shape().dims();
        float[] img = new float[shape[0] * shape[1] * shape[2]];
        for (int z = 0, o = 0; z < shape[0]; z++) {
            for (int y = 0; y < shape[1]; y++) {
                for (int x = 0; x < shape[2]; x++, o++) {
                    double worldX = affine[0][0] * x + affine[0][1] * y + affine[0][2] * z + affine[0][3];
                    if (left ? !(worldX < 0) : !(worldX > 0)) continue;
                    int i = (int) Math.rint(toSource[0][0] * x + toSource[0][1] * y + toSource[0][2] * z + toSource[0][3]);
                    int j = (int) Math.rint(toSource[1][0] * x + toSource[1][1] * y + toSource[1][2] * z + toSource[1][3]);
                    int k = (int) Math.rint(toSource[2][0] * x + toSource[2][1] * y + toSource[2][2] * z + toSource[2][3]);
                    if (i < 0 || j < 0 || k < 0 || i >= src[2] || j >= src[1] || k >= src[0]) continue;
                    img[o] = raw.at((k * src[1] + j) * src[2] + i);
                }
            }
        }
        NiftiImage.Datatype type = t1.datatype().isInteger() && !t1.isScaled() ? t1.datatype() : NiftiImage.Datatype.FLOAT32;
        Nifti.write(dir.resolve("imagesTr").resolve(id + "_0000.nii.gz"),
                NiftiImage.of(Tensor.wrap(img, shape), type, spacing, affine).withXformCode(NiftiImage.XFORM_MNI_152)
                        .withDescription("segloss export-mni " + id + " T1"));
        Nifti.write(dir.resolve("labelsTr").resolve(id + ".nii.gz"),
                NiftiImage.of(labels, NiftiImage.Datatype.UINT8, spacing, affine).withXformCode(NiftiImage.XFORM_MNI_152)
                        .withDescription("segloss export-mni " + id + " labels"));
    }

    /** The inverse of an affine 4 × 4 (last row 0, 0, 0, 1). */
    static double[][] invert(double[][] a) {
        double[][] m = {{a[0][0], a[0][1], a[0][2]}, {a[1][0], a[1][1], a[1][2]}, {a[2][0], a[2][1], a[2][2]}};
        double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
        if (det == 0) throw new IllegalArgumentException("MniExport: the template's affine is singular");
        double[][] inv = new double[4][4];
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++) {
                // cofactor transpose
                int r1 = (c + 1) % 3, r2 = (c + 2) % 3, c1 = (r + 1) % 3, c2 = (r + 2) % 3;
                inv[r][c] = (m[r1][c1] * m[r2][c2] - m[r1][c2] * m[r2][c1]) / det;
            }
        }
        for (int r = 0; r < 3; r++) inv[r][3] = -(inv[r][0] * a[0][3] + inv[r][1] * a[1][3] + inv[r][2] * a[2][3]);
        inv[3][3] = 1;
        return inv;
    }

    static double[][] multiply(double[][] a, double[][] b) {
        double[][] c = new double[4][4];
        for (int r = 0; r < 4; r++) for (int k = 0; k < 4; k++) for (int s = 0; s < 4; s++) c[r][k] += a[r][s] * b[s][k];
        return c;
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
