package org.segloss.examples.unet;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * Seeded random patches for training, with nnU-Net-style foreground oversampling and random
 * flips.
 *
 * <p>Each patch: a volume is drawn uniformly; with probability {@code foregroundShare} the patch
 * is <i>forced</i>: a foreground class is drawn uniformly among the classes 1 .. classes-1
 * present in that volume, then a voxel of that class uniformly, and the patch is centred on it
 * (corner = voxel - p/2, shifted back inside the volume where it would cross a border, so the
 * voxel always lies in the patch). Otherwise the corner is uniform over every position where the
 * patch fits. So each foreground class is the centre of about {@code foregroundShare / F} of the
 * patches (F the number of foreground classes present; default share 1/3, nnU-Net's). Then each
 * axis is flipped with probability 1/2, image and labels alike.
 *
 * <p>A batch is {@code [B, C, p, p, p]} images and {@code [B, p, p, p]} labels; {@link Batch#patches}
 * says where each came from. The same seed and the same calls give the same batches.
 */
public final class PatchSampler {
    /** nnU-Net's oversampling share. */
    public static final double DEFAULT_FOREGROUND_SHARE = 1.0 / 3;

    /** Where a patch came from: the volume, its corner (z, y, x), the flips, and the class it was centred on (0 = random). */
    public record Patch(int volume, int z, int y, int x, boolean flipZ, boolean flipY, boolean flipX, int forcedClass) {}

    /** A batch: images [B, C, p, p, p], labels [B, p, p, p], and the origin of each patch. */
    public record Batch(Tensor images, LabelTensor labels, List<Patch> patches) {}

    private final List<LabeledVolume> volumes;
    private final float[][] images;
    private final int[][] labels;
    /** voxels[v][c]: flat indices of the voxels of class c in volume v (c >= 1). */
    private final int[][][] voxels;
    /** present[v]: the foreground classes with at least one voxel in volume v. */
    private final int[][] present;
    private final int patch, classes, channels;
    private final double share;
    private SplittableRandom rnd;

    /** Share {@link #DEFAULT_FOREGROUND_SHARE}. */
    public PatchSampler(List<LabeledVolume> volumes, int patchSize, int classes, long seed) {
        this(volumes, patchSize, classes, DEFAULT_FOREGROUND_SHARE, seed);
    }

    /**
     * @param classes number of classes including the background; labels must lie in [0, classes)
     * @param foregroundShare probability in [0, 1] that a patch is centred on a foreground voxel
     */
    public PatchSampler(List<LabeledVolume> volumes, int patchSize, int classes, double foregroundShare, long seed) {
        if (volumes == null || volumes.isEmpty()) throw new IllegalArgumentException("PatchSampler: volumes must not be empty");
        if (patchSize <= 0) throw new IllegalArgumentException("PatchSampler: patchSize must be > 0, got " + patchSize);
        if (classes < 2) throw new IllegalArgumentException("PatchSampler: classes must be >= 2, got " + classes);
        if (!(foregroundShare >= 0 && foregroundShare <= 1)) {
            throw new IllegalArgumentException("PatchSampler: foregroundShare must be in [0, 1], got " + foregroundShare);
        }
        this.volumes = List.copyOf(volumes);
        this.patch = patchSize;
        this.classes = classes;
        this.share = foregroundShare;
        this.rnd = new SplittableRandom(seed);
        this.channels = this.volumes.get(0).channels();
        int n = this.volumes.size();
        images = new float[n][];
        labels = new int[n][];
        voxels = new int[n][][];
        present = new int[n][];
        for (int v = 0; v < n; v++) {
            LabeledVolume vol = this.volumes.get(v);
            if (vol.channels() != channels) {
                throw new IllegalArgumentException("PatchSampler: volume " + v + " must have " + channels + " channels like volume 0, got "
                        + vol.channels());
            }
            for (int a = 0; a < 3; a++) {
                if (vol.dim(a) < patchSize) {
                    throw new IllegalArgumentException("PatchSampler: volume " + v + " " + vol.labels().shape()
                            + " must be at least patchSize " + patchSize + " along every axis");
                }
            }
            images[v] = vol.image().toArray();
            labels[v] = vol.labels().toArray();
            int[] count = new int[classes];
            for (int i = 0; i < labels[v].length; i++) {
                int c = labels[v][i];
                if (c < 0 || c >= classes) {
                    throw new IllegalArgumentException("PatchSampler: volume " + v + " has label " + c + " outside [0, " + classes + ")");
                }
                count[c]++;
            }
            voxels[v] = new int[classes][];
            List<Integer> pres = new ArrayList<>();
            for (int c = 1; c < classes; c++) {
                voxels[v][c] = new int[count[c]];
                if (count[c] > 0) pres.add(c);
            }
            int[] fill = new int[classes];
            for (int i = 0; i < labels[v].length; i++) {
                int c = labels[v][i];
                if (c > 0) voxels[v][c][fill[c]++] = i;
            }
            present[v] = pres.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    public int patchSize() { return patch; }

    public double foregroundShare() { return share; }

    /**
     * Restarts the random stream from {@code seed}: the draws that follow are those of a new
     * sampler built with this seed. The trainer reseeds at the start of every epoch from (seed,
     * epoch), so a run resumed from a checkpoint at an epoch boundary draws the same patches as
     * the uninterrupted run.
     */
    public void reseed(long seed) {
        this.rnd = new SplittableRandom(seed);
    }

    /** Draws where the next patch comes from (advances the random stream). */
    public Patch nextPatch() {
        int v = rnd.nextInt(volumes.size());
        LabeledVolume vol = volumes.get(v);
        int d = vol.dim(0), h = vol.dim(1), w = vol.dim(2);
        int z, y, x, forced = 0;
        boolean force = share > 0 && rnd.nextDouble() < share && present[v].length > 0;
        if (force) {
            forced = present[v][rnd.nextInt(present[v].length)];
            int[] list = voxels[v][forced];
            int i = list[rnd.nextInt(list.length)];
            int cz = i / (h * w), cy = (i / w) % h, cx = i % w;
            z = clamp(cz - patch / 2, d);
            y = clamp(cy - patch / 2, h);
            x = clamp(cx - patch / 2, w);
        } else {
            z = rnd.nextInt(d - patch + 1);
            y = rnd.nextInt(h - patch + 1);
            x = rnd.nextInt(w - patch + 1);
        }
        return new Patch(v, z, y, x, rnd.nextBoolean(), rnd.nextBoolean(), rnd.nextBoolean(), forced);
    }

    private int clamp(int corner, int size) {
        return Math.max(0, Math.min(size - patch, corner));
    }

    /** The next batch of {@code batchSize} patches. */
    public Batch next(int batchSize) {
        if (batchSize <= 0) throw new IllegalArgumentException("PatchSampler.next: batchSize must be > 0, got " + batchSize);
        int p3 = patch * patch * patch;
        float[] img = new float[batchSize * channels * p3];
        int[] lab = new int[batchSize * p3];
        List<Patch> where = new ArrayList<>(batchSize);
        for (int b = 0; b < batchSize; b++) {
            Patch pt = nextPatch();
            where.add(pt);
            extract(pt, img, b * channels * p3, lab, b * p3);
        }
        return new Batch(Tensor.wrap(img, batchSize, channels, patch, patch, patch), LabelTensor.of(lab, batchSize, patch, patch, patch),
                List.copyOf(where));
    }

    /** Copies patch pt (flipped as it says) into img at imgOff ([C, p, p, p]) and lab at labOff ([p, p, p]). */
    void extract(Patch pt, float[] img, int imgOff, int[] lab, int labOff) {
        LabeledVolume vol = volumes.get(pt.volume());
        int h = vol.dim(1), w = vol.dim(2), vox = vol.dim(0) * h * w, p = patch, p3 = p * p * p;
        float[] src = images[pt.volume()];
        int[] ls = labels[pt.volume()];
        for (int k = 0; k < p; k++) {
            int sz = pt.z() + (pt.flipZ() ? p - 1 - k : k);
            for (int j = 0; j < p; j++) {
                int sy = pt.y() + (pt.flipY() ? p - 1 - j : j);
                int row = (sz * h + sy) * w + pt.x(), dst = (k * p + j) * p;
                for (int i = 0; i < p; i++) {
                    int s = row + (pt.flipX() ? p - 1 - i : i);
                    lab[labOff + dst + i] = ls[s];
                    for (int c = 0; c < channels; c++) img[imgOff + c * p3 + dst + i] = src[c * vox + s];
                }
            }
        }
    }
}
