package org.segloss.examples.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.segloss.io.Nifti;
import org.segloss.io.NiftiImage;
import org.segloss.io.NiftiImage.Datatype;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * Small NIfTI data sets written for the tests, in both layouts: three training cases of different
 * shapes, anisotropic spacing (1 × 1 × 3 mm), one with an x-flipped and 90°-rotated affine, one
 * smaller than an 8³ patch along two axes; two channels; classes background, ball, core.
 */
public final class SyntheticDataset {
    private SyntheticDataset() {}

    /** One synthetic case: image {@code [2, D, H, W]}, labels, spacing {@code [D, H, W]}, affine. */
    record Volume(String id, Tensor image, LabelTensor labels, double[] spacing, double[][] affine) {}

    static final List<String> CLASSES = List.of("background", "ball", "core");

    /** The three cases: shapes [10, 12, 14] at (3, 1, 1) mm, [8, 16, 12] rotated and flipped, [4, 6, 9] (small). */
    static List<Volume> cases() {
        List<Volume> out = new ArrayList<>();
        out.add(volume("case_a", new int[] {10, 12, 14}, new double[] {3, 1, 1},
                new double[][] {{1, 0, 0, -7}, {0, 1, 0, -6}, {0, 0, 3, -15}, {0, 0, 0, 1}}, 1));
        // i → world −y (x flipped and rotated 90° about z), j → world −x, k → z: determinant < 0
        out.add(volume("case_b", new int[] {8, 16, 12}, new double[] {3, 1, 1},
                new double[][] {{0, -1, 0, 8}, {-1, 0, 0, 6}, {0, 0, 3, -12}, {0, 0, 0, 1}}, 2));
        out.add(volume("case_c", new int[] {4, 6, 9}, new double[] {2.5, 1.2, 1},
                new double[][] {{1, 0, 0, 0}, {0, 1.2, 0, 0}, {0, 0, 2.5, 0}, {0, 0, 0, 1}}, 3));
        return out;
    }

    /**
     * A ball (label 1) with a core (label 2) in a noisy head; a one-voxel border of zeros (crop to
     * non-zero removes it). Channel 0 "MRI"-like, channel 1 "CT"-like (HU).
     */
    static Volume volume(String id, int[] shape, double[] spacing, double[][] affine, long seed) {
        int d = shape[0], h = shape[1], w = shape[2], n = d * h * w;
        float[] img = new float[2 * n];
        int[] lab = new int[n];
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        double cz = (d - 1) / 2.0, cy = (h - 1) / 2.0, cx = (w - 1) / 2.0;
        double r = 0.35 * Math.min(d * spacing[0], Math.min(h * spacing[1], w * spacing[2]));
        for (int z = 0, i = 0; z < d; z++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++, i++) {
                    boolean border = z == 0 || y == 0 || x == 0 || z == d - 1 || y == h - 1 || x == w - 1;
                    if (border && d > 4) continue;
                    double dist = Math.sqrt(Math.pow((z - cz) * spacing[0], 2) + Math.pow((y - cy) * spacing[1], 2)
                            + Math.pow((x - cx) * spacing[2], 2));
                    int c = dist < r * 0.5 ? 2 : dist < r ? 1 : 0;
                    lab[i] = c;
                    img[i] = (float) (100 + 50 * c + rnd.nextDouble() * 10);
                    img[n + i] = (float) (-50 + 200 * c + rnd.nextInt(20));
                }
            }
        }
        return new Volume(id, Tensor.wrap(img, 2, d, h, w), LabelTensor.of(lab, shape), spacing, affine);
    }

    /** {@link #cases()} as an nnU-Net v2 raw folder. */
    public static Path writeNnUnet(Path dir) throws IOException { return writeNnUnet(dir, cases()); }

    /** {@link #cases()} as an MSD folder. */
    public static Path writeMsd(Path dir) throws IOException { return writeMsd(dir, cases()); }

    /** Writes the cases as an nnU-Net v2 raw folder (channels T2 and CT, .nii.gz). */
    static Path writeNnUnet(Path dir, List<Volume> cases) throws IOException {
        Files.createDirectories(dir.resolve("imagesTr"));
        Files.createDirectories(dir.resolve("labelsTr"));
        for (Volume v : cases) {
            for (int c = 0; c < 2; c++) {
                Nifti.write(dir.resolve("imagesTr").resolve(String.format(Locale.ROOT, "%s_%04d.nii.gz", v.id(), c)),
                        NiftiImage.of(channel(v.image(), c), Datatype.FLOAT32, v.spacing(), v.affine()));
            }
            Nifti.write(dir.resolve("labelsTr").resolve(v.id() + ".nii.gz"), NiftiImage.of(v.labels(), Datatype.UINT8, v.spacing(),
                    v.affine()));
        }
        String json = "{\n \"name\": \"Synthetic\",\n \"channel_names\": {\"0\": \"T2\", \"1\": \"CT\"},\n"
                + " \"labels\": {\"background\": 0, \"ball\": 1, \"core\": 2},\n \"numTraining\": " + cases.size() + ",\n"
                + " \"file_ending\": \".nii.gz\"\n}\n";
        Files.writeString(dir.resolve("dataset.json"), json, StandardCharsets.UTF_8);
        return dir;
    }

    /** Writes the cases as an MSD folder: 4-D images (modalities MRI, CT), .nii labels. */
    static Path writeMsd(Path dir, List<Volume> cases) throws IOException {
        Files.createDirectories(dir.resolve("imagesTr"));
        Files.createDirectories(dir.resolve("labelsTr"));
        StringBuilder training = new StringBuilder();
        for (Volume v : cases) {
            Nifti.write(dir.resolve("imagesTr").resolve(v.id() + ".nii.gz"), NiftiImage.of(v.image(), Datatype.FLOAT32, v.spacing(),
                    v.affine()));
            Nifti.write(dir.resolve("labelsTr").resolve(v.id() + ".nii"), NiftiImage.of(v.labels(), Datatype.INT16, v.spacing(),
                    v.affine()));
            if (!training.isEmpty()) training.append(",\n");
            training.append("  {\"image\": \"./imagesTr/").append(v.id()).append(".nii.gz\", \"label\": \"./labelsTr/").append(v.id())
                    .append(".nii\"}");
        }
        String json = "{\n \"name\": \"SyntheticMSD\",\n \"modality\": {\"0\": \"MRI\", \"1\": \"CT\"},\n"
                + " \"labels\": {\"0\": \"background\", \"1\": \"ball\", \"2\": \"core\"},\n \"numTraining\": " + cases.size() + ",\n"
                + " \"training\": [\n" + training + "\n ],\n \"test\": []\n}\n";
        Files.writeString(dir.resolve("dataset.json"), json, StandardCharsets.UTF_8);
        return dir;
    }

    static Tensor channel(Tensor image, int c) {
        int d = image.dim(1), h = image.dim(2), w = image.dim(3);
        return image.slice(0, c, c + 1).reshape(d, h, w);
    }
}
