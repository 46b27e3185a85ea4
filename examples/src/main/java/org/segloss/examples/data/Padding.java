package org.segloss.examples.data;

import java.util.Arrays;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * Padding of a preprocessed volume that is smaller than a patch along some axis, and its inverse.
 * As nnU-Net ({@code pad_nd_image}): the missing {@code m} voxels of an axis go half before
 * ({@code m / 2}, rounded down) and the rest after; the image is padded with 0 (the mean of a
 * z-scored channel), the labels with the background 0.
 *
 * @param before voxels added before each spatial axis {@code [D, H, W]}
 * @param after  voxels added after it
 */
public record Padding(int[] before, int[] after) {
    public Padding {
        if (before == null || after == null || before.length != 3 || after.length != 3) {
            throw new IllegalArgumentException("Padding: before and after must have 3 entries [D, H, W], got "
                    + Arrays.toString(before) + " and " + Arrays.toString(after));
        }
        for (int a = 0; a < 3; a++) {
            if (before[a] < 0 || after[a] < 0) {
                throw new IllegalArgumentException("Padding: widths must be >= 0, got " + Arrays.toString(before) + " and "
                        + Arrays.toString(after));
            }
        }
        before = before.clone();
        after = after.clone();
    }

    /** The padding that brings {@code shape} {@code [D, H, W]} to at least {@code minimum} per axis. */
    public static Padding toAtLeast(int[] shape, int[] minimum) {
        int[] b = new int[3], e = new int[3];
        for (int a = 0; a < 3; a++) {
            int missing = Math.max(0, minimum[a] - shape[a]);
            b[a] = missing / 2;
            e[a] = missing - b[a];
        }
        return new Padding(b, e);
    }

    /** Whether nothing is added. */
    public boolean isNone() {
        for (int a = 0; a < 3; a++) if (before[a] != 0 || after[a] != 0) return false;
        return true;
    }

    /** {@code [C, D, H, W]} padded with 0. */
    public Tensor pad(Tensor image) {
        return image.pad(new int[] {0, before[0], before[1], before[2]}, new int[] {0, after[0], after[1], after[2]}, 0f);
    }

    /** {@code [D, H, W]} labels padded with background 0. */
    public LabelTensor pad(LabelTensor labels) {
        int[] d = labels.shape().dims();
        int[] o = {d[0] + before[0] + after[0], d[1] + before[1] + after[1], d[2] + before[2] + after[2]};
        int[] out = new int[o[0] * o[1] * o[2]];
        for (int z = 0, src = 0; z < d[0]; z++) {
            for (int y = 0; y < d[1]; y++) {
                int dst = ((z + before[0]) * o[1] + y + before[1]) * o[2] + before[2];
                for (int x = 0; x < d[2]; x++) out[dst + x] = labels.at(src++);
            }
        }
        return LabelTensor.of(out, o);
    }

    /** The inverse of {@link #pad(Tensor)} for {@code [K, D, H, W]} (e.g. logits). */
    public Tensor unpad(Tensor padded) {
        return padded.crop(new int[] {0, before[0], before[1], before[2]}, new int[] {0, after[0], after[1], after[2]});
    }
}
