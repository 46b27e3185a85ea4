package org.segloss.examples.data;

import java.util.Arrays;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * Resampling of volumes between voxel grids that cover the same field of view, in voxel space
 * (the affine's rotation plays no part: a prediction is resampled back onto the very grid it came
 * from, and written with that grid's header).
 *
 * <p><b>Coordinates.</b> Output voxel {@code o} of an axis resized from {@code n} to {@code m}
 * voxels samples input position {@code x = (o + 0.5) · n / m − 0.5}, clamped to {@code [0, n−1]}:
 * the voxel centres of both grids span the same extent (scikit-image {@code resize} with
 * {@code mode="edge"}, which nnU-Net calls). Resizing to the same size is the identity.
 *
 * <p><b>Images</b> ({@link #resizeImage}): linear interpolation along each axis in turn (D, then
 * H, then W), i.e. trilinear; weights in double, results rounded to float32. nnU-Net uses cubic
 * splines in-plane (and nearest along a strongly anisotropic axis); linear never overshoots the
 * input range, which matters for CT clipped to a window and for probabilities.
 *
 * <p><b>Labels</b> ({@link #resizeLabels}): linear interpolation of each class's one-hot mask,
 * then the class with the largest weight per voxel (ties to the lower class). Nearest neighbour
 * would move boundaries by up to half a voxel and make thin structures break up or vanish when
 * the grid is coarsened; the one-hot weights keep the boundary where the partial volumes cross
 * 0.5 for two classes. nnU-Net does the same interpolation but thresholds each class at 0.5 in
 * label order; the argmax gives every voxel a class even where three or more classes meet.
 */
public final class Resampling {
    private Resampling() {}

    /**
     * The grid size for {@code spacing} → {@code target}: {@code max(1, round(n · spacing / target))}
     * per axis (nnU-Net's {@code compute_new_shape}).
     */
    public static int[] shapeFor(int[] shape, double[] spacing, double[] target) {
        int[] out = new int[3];
        for (int a = 0; a < 3; a++) {
            long n = Math.round(shape[a] * spacing[a] / target[a]);
            if (n > Short.MAX_VALUE) {
                throw new IllegalArgumentException("Resampling.shapeFor: resampling " + Arrays.toString(shape) + " at spacing "
                        + Arrays.toString(spacing) + " to " + Arrays.toString(target) + " gives " + n + " voxels along axis " + a
                        + ", more than a NIfTI-1 file holds");
            }
            out[a] = (int) Math.max(1, n);
        }
        return out;
    }

    /** {@code [C, D, H, W]} → {@code [C, d, h, w]}, trilinear per channel. */
    public static Tensor resizeImage(Tensor image, int[] outShape) {
        check("resizeImage", image.rank() == 4, "image must be [C, D, H, W], got " + image.shape());
        checkShape(outShape);
        int channels = image.dim(0);
        int[] in = {image.dim(1), image.dim(2), image.dim(3)};
        if (Arrays.equals(in, outShape)) return image.copy();
        int inSize = in[0] * in[1] * in[2], outSize = outShape[0] * outShape[1] * outShape[2];
        float[] src = image.toArray(), dst = new float[channels * outSize];
        for (int c = 0; c < channels; c++) {
            float[] vol = Arrays.copyOfRange(src, c * inSize, (c + 1) * inSize);
            System.arraycopy(resizeVolume(vol, in, outShape), 0, dst, c * outSize, outSize);
        }
        return Tensor.wrap(dst, channels, outShape[0], outShape[1], outShape[2]);
    }

    /** {@code [D, H, W]} labels in {@code [0, classes)} → {@code [d, h, w]}, linear on one-hot then argmax. */
    public static LabelTensor resizeLabels(LabelTensor labels, int classes, int[] outShape) {
        check("resizeLabels", labels.shape().rank() == 3, "labels must be [D, H, W], got " + labels.shape());
        checkShape(outShape);
        int[] in = labels.shape().dims();
        if (Arrays.equals(in, outShape)) return LabelTensor.of(labels.toArray(), in);
        int[] v = labels.toArray();
        boolean[] present = new boolean[classes];
        for (int x : v) {
            if (x < 0 || x >= classes) {
                throw new IllegalArgumentException("Resampling.resizeLabels: labels must be in [0, " + classes + "), got " + x);
            }
            present[x] = true;
        }
        int outSize = outShape[0] * outShape[1] * outShape[2];
        float[] best = new float[outSize];
        Arrays.fill(best, -1f);
        int[] out = new int[outSize];
        float[] mask = new float[v.length];
        for (int c = 0; c < classes; c++) {
            if (!present[c]) continue;
            for (int i = 0; i < v.length; i++) mask[i] = v[i] == c ? 1f : 0f;
            float[] w = resizeVolume(mask, in, outShape);
            for (int i = 0; i < outSize; i++) {
                if (w[i] > best[i]) {
                    best[i] = w[i];
                    out[i] = c;
                }
            }
        }
        return LabelTensor.of(out, outShape);
    }

    /** One volume {@code in} → {@code out}, linear along D, then H, then W. */
    static float[] resizeVolume(float[] vol, int[] in, int[] out) {
        int[] dims = in.clone();
        float[] cur = vol;
        for (int axis = 0; axis < 3; axis++) {
            if (dims[axis] != out[axis]) {
                cur = resizeAxis(cur, dims, axis, out[axis]);
                dims[axis] = out[axis];
            }
        }
        return cur == vol ? vol.clone() : cur;
    }

    /** Linear resize of one axis of a row-major {@code dims} array. */
    static float[] resizeAxis(float[] src, int[] dims, int axis, int outLen) {
        int n = dims[axis];
        int outer = 1, inner = 1;
        for (int a = 0; a < axis; a++) outer *= dims[a];
        for (int a = axis + 1; a < dims.length; a++) inner *= dims[a];
        int[] lo = new int[outLen], hi = new int[outLen];
        double[] t = new double[outLen];
        double scale = (double) n / outLen;
        for (int o = 0; o < outLen; o++) {
            double x = Math.min(n - 1, Math.max(0, (o + 0.5) * scale - 0.5));
            lo[o] = (int) Math.floor(x);
            hi[o] = Math.min(lo[o] + 1, n - 1);
            t[o] = x - lo[o];
        }
        float[] dst = new float[outer * outLen * inner];
        for (int u = 0; u < outer; u++) {
            int srcBase = u * n * inner, dstBase = u * outLen * inner;
            for (int o = 0; o < outLen; o++) {
                int a = srcBase + lo[o] * inner, b = srcBase + hi[o] * inner, d = dstBase + o * inner;
                double w = t[o];
                for (int j = 0; j < inner; j++) dst[d + j] = (float) ((1 - w) * src[a + j] + w * src[b + j]);
            }
        }
        return dst;
    }

    private static void checkShape(int[] s) {
        if (s == null || s.length != 3 || s[0] < 1 || s[1] < 1 || s[2] < 1) {
            throw new IllegalArgumentException("Resampling: outShape must be 3 sizes >= 1 [D, H, W], got " + Arrays.toString(s));
        }
    }

    private static void check(String op, boolean ok, String msg) {
        if (!ok) throw new IllegalArgumentException("Resampling." + op + ": " + msg);
    }
}
