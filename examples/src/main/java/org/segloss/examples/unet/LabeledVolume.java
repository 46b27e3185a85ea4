package org.segloss.examples.unet;

import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * One training volume: an image {@code [C, D, H, W]} and its label map {@code [D, H, W]} (class
 * indices; the spatial sizes agree).
 */
public record LabeledVolume(Tensor image, LabelTensor labels) {
    public LabeledVolume {
        if (image == null || labels == null) throw new IllegalArgumentException("LabeledVolume: image and labels must not be null");
        if (image.rank() != 4) throw new IllegalArgumentException("LabeledVolume: image must have rank 4 [C, D, H, W], got " + image.shape());
        if (labels.shape().rank() != 3) {
            throw new IllegalArgumentException("LabeledVolume: labels must have rank 3 [D, H, W], got " + labels.shape());
        }
        for (int a = 0; a < 3; a++) {
            if (image.dim(a + 1) != labels.shape().dim(a)) {
                throw new IllegalArgumentException("LabeledVolume: image " + image.shape() + " and labels " + labels.shape()
                        + " must have the same spatial sizes");
            }
        }
    }

    public int channels() { return image.dim(0); }

    /** Spatial size along axis a (0 = D, 1 = H, 2 = W). */
    public int dim(int a) { return labels.shape().dim(a); }

    /** Voxels per class 0 .. classes-1 (labels outside the range are not counted). */
    public long[] classCounts(int classes) {
        long[] n = new long[classes];
        for (int i = 0, size = labels.size(); i < size; i++) {
            int c = labels.at(i);
            if (c >= 0 && c < classes) n[c]++;
        }
        return n;
    }
}
