package org.segloss.examples.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import org.segloss.io.Nifti;
import org.segloss.io.NiftiImage;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * Reads the voxels of one case and checks them: the image's channels (one 4-D MSD file or one
 * nnU-Net file per channel) become {@code [C, D, H, W]}, the label file {@code [D, H, W]}.
 * Rejected, with the case and the file named: a file NIfTI-1 cannot read, a 2-D image (a size of
 * 1 along a spatial axis, or {@code dim[0] = 2}), the wrong number of channels, channels on
 * different grids, a label file on another grid than the image (shape, or an affine entry off by
 * more than {@link #AFFINE_TOLERANCE} relative), non-integer or scaled labels, label values
 * outside {@code 0 … classes−1}.
 */
public final class CaseLoader {
    /** Relative tolerance of affine entries (float32 headers): |a − b| ≤ tol · (1 + |a|). */
    public static final double AFFINE_TOLERANCE = 1e-4;

    private CaseLoader() {}

    /**
     * One loaded case.
     *
     * @param id        the case id
     * @param image     {@code [C, D, H, W]} float32, the scaled values of the files
     * @param labels    {@code [D, H, W]} class indices, or null for a case without labels
     * @param spacing   voxel size {@code [D, H, W]} from the header (mm)
     * @param affine    4 × 4 voxel {@code (i, j, k, 1)} → world, NIfTI's best affine
     * @param reference the header of the first channel's file: predictions are written with it
     */
    public record LoadedCase(String id, Tensor image, LabelTensor labels, double[] spacing, double[][] affine, NiftiImage reference) {
        /** Spatial shape {@code [D, H, W]}. */
        public int[] spatialShape() { return new int[] {image.dim(1), image.dim(2), image.dim(3)}; }

        public int channels() { return image.dim(0); }
    }

    /** Loads a training or test case of {@code folder}, labels checked against its classes. */
    public static LoadedCase load(DatasetFolder folder, DatasetFolder.Case c) throws IOException {
        String p = DatasetFolder.prefix(folder.root()) + "case " + c.id() + ": ";
        return load(p, c.id(), c.imageFiles(), c.labelFile(), folder.channels(), folder.classes());
    }

    /**
     * Loads an image (and labels, if {@code labelFile} is not null) outside a data set folder, e.g.
     * for prediction.
     *
     * @param channels the channels the image must have
     * @param classes  label values must lie in [0, classes) (ignored without labels)
     */
    public static LoadedCase load(String id, List<Path> imageFiles, Path labelFile, int channels, int classes) throws IOException {
        return load("case " + id + ": ", id, imageFiles, labelFile, channels, classes);
    }

    private static LoadedCase load(String p, String id, List<Path> imageFiles, Path labelFile, int channels, int classes)
            throws IOException {
        NiftiImage first = read(p, imageFiles.get(0));
        int[] shape = checkVolume(p, first);
        Tensor image;
        if (imageFiles.size() == 1) {
            if (first.volumes() != channels) {
                throw new IllegalArgumentException(p + "file " + imageFiles.get(0) + ": must hold " + channels + " channel(s) (dim[4]),"
                        + " got " + first.volumes() + " (shape " + Arrays.toString(first.shape()) + ")");
            }
            image = first.toTensor().reshape(channels, shape[0], shape[1], shape[2]);
        } else {
            if (imageFiles.size() != channels) {
                throw new IllegalArgumentException(p + "must have " + channels + " channel file(s), got " + imageFiles.size());
            }
            Tensor[] parts = new Tensor[channels];
            for (int c = 0; c < channels; c++) {
                NiftiImage img = c == 0 ? first : read(p, imageFiles.get(c));
                if (img.volumes() != 1) {
                    throw new IllegalArgumentException(p + "file " + imageFiles.get(c) + ": a channel file must hold one volume, got "
                            + img.volumes() + " (dim[4]); nnU-Net v2 keeps each channel in its own CASE_XXXX file");
                }
                int[] s = checkVolume(p, img);
                if (c > 0) sameGrid(p, imageFiles.get(0), first, shape, imageFiles.get(c), img, s);
                parts[c] = img.toTensor().reshape(1, s[0], s[1], s[2]);
            }
            image = Tensor.concat(0, parts);
        }
        LabelTensor labels = null;
        if (labelFile != null) {
            NiftiImage lab = read(p, labelFile);
            if (lab.volumes() != 1) {
                throw new IllegalArgumentException(p + "label file " + labelFile + ": must hold one volume, got " + lab.volumes()
                        + " (shape " + Arrays.toString(lab.shape()) + ")");
            }
            int[] s = checkVolume(p, lab);
            sameGrid(p, imageFiles.get(0), first, shape, labelFile, lab, s);
            try {
                labels = lab.toLabels();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(p + "label file " + labelFile + ": labels must be integers: " + e.getMessage(), e);
            }
            checkLabelValues(p + "label file " + labelFile + ": ", labels, classes);
        }
        return new LoadedCase(id, image, labels, first.spacing(), first.affine(), first);
    }

    /** Fails naming every value outside [0, classes). */
    static void checkLabelValues(String p, LabelTensor labels, int classes) {
        TreeSet<Integer> bad = new TreeSet<>();
        for (int i = 0, n = labels.size(); i < n; i++) {
            int v = labels.at(i);
            if (v < 0 || v >= classes) bad.add(v);
        }
        if (!bad.isEmpty()) {
            throw new IllegalArgumentException(p + "label values must be in 0.." + (classes - 1) + " (the labels of dataset.json), got "
                    + bad);
        }
    }

    static NiftiImage read(String p, Path file) throws IOException {
        try {
            return Nifti.read(file);
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            if (m.contains("dim[0] must be 3 or 4") && (m.endsWith("got 2") || m.endsWith("got 1"))) {
                throw new IllegalArgumentException(p + "file " + file + ": a 2-D image: segloss trains 3-D networks on 3-D volumes ("
                        + m + ")", e);
            }
            throw new IllegalArgumentException(p + "file " + file + ": " + m, e);
        } catch (IOException e) {
            throw new IOException(p + "file " + file + ": " + e.getMessage(), e);
        }
    }

    /** The spatial shape [D, H, W]; rejects 2-D images. */
    static int[] checkVolume(String p, NiftiImage img) {
        int[] s = img.shape();
        int[] spatial = Arrays.copyOfRange(s, s.length - 3, s.length);
        for (int a = 0; a < 3; a++) {
            if (spatial[a] < 2) {
                throw new IllegalArgumentException(p + "file " + img.source() + ": a 2-D image (size 1 along "
                        + "DHW".charAt(a) + ", shape [D, H, W] = " + Arrays.toString(spatial) + "): segloss trains 3-D networks on"
                        + " 3-D volumes");
            }
        }
        return spatial;
    }

    static void sameGrid(String p, Path fileA, NiftiImage a, int[] shapeA, Path fileB, NiftiImage b, int[] shapeB) {
        if (!Arrays.equals(shapeA, shapeB)) {
            throw new IllegalArgumentException(p + "file " + fileB + ": shape [D, H, W] " + Arrays.toString(shapeB)
                    + " differs from " + fileA + " " + Arrays.toString(shapeA) + ": image and label must lie on one grid");
        }
        double[][] x = a.affine(), y = b.affine();
        if (!sameAffine(x, y)) {
            throw new IllegalArgumentException(p + "file " + fileB + ": affine " + Arrays.deepToString(y) + " differs from "
                    + fileA + " " + Arrays.deepToString(x) + ": image and label must lie on one grid (same voxel-to-world matrix)");
        }
    }

    /** Entry-wise equal within {@link #AFFINE_TOLERANCE}. */
    public static boolean sameAffine(double[][] x, double[][] y) {
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 4; c++) {
                if (!(Math.abs(x[r][c] - y[r][c]) <= AFFINE_TOLERANCE * (1 + Math.abs(x[r][c])))) return false;
            }
        }
        return true;
    }
}
