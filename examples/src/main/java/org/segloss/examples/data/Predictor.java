package org.segloss.examples.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.segloss.autograd.NoGrad;
import org.segloss.autograd.Var;
import org.segloss.examples.data.CaseLoader.LoadedCase;
import org.segloss.examples.data.Preprocessing.Prepared;
import org.segloss.examples.train.TrainedModel;
import org.segloss.examples.unet.UNet3d;
import org.segloss.nn.Checkpoint;
import org.segloss.nn.Module;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * Applies a model trained with {@code segloss train --data DIR} to new images, as nnU-Net's
 * predictor does: the checkpoint's {@link Preprocessing} (crop, normalise, resample), padding to
 * at least one window, sliding windows with half-window steps whose logits are averaged with
 * Gaussian weights, optionally over the 8 mirrorings of the three axes, then the way back onto the
 * input's grid ({@link Preprocessing#toOriginalGrid}: logits resampled, softmax, background outside
 * the crop). The result has exactly the input's shape.
 *
 * <p><b>Gaussian weights</b> (nnU-Net's {@code compute_gaussian}, Isensee et al. 2021): per window
 * voxel {@code Π_a exp(−(i_a − c_a)² / (2 σ_a²))} with {@code c_a = (p_a − 1)/2} the window's
 * centre and {@code σ_a = p_a / 8}; the centre of a window counts most, its border (where the
 * network sees least context) least. nnU-Net centres at {@code p_a // 2} (half a voxel off for
 * even sizes) and floors the weights at their smallest non-zero value; the closed form here is
 * symmetric, so mirroring and the weights commute, and never 0. Accumulation in float32.
 *
 * <p><b>Mirroring</b> (test-time augmentation): the logits of the window, of the window flipped
 * along every non-empty subset of (D, H, W) and flipped back, averaged (8 forward passes per
 * window). The training patches are flipped at random too ({@code PatchSampler}).
 */
public final class Predictor {
    /** The Gaussian's σ as a fraction of the window side (nnU-Net's 1/8). */
    public static final double SIGMA_SCALE = 1.0 / 8;

    /**
     * A trained model with what it needs to predict.
     *
     * @param model         the U-Net with the checkpoint's weights, in eval mode
     * @param preprocessing the checkpoint's preprocessing
     * @param window        the sliding window side (the run's validation window, or its patch)
     */
    public record Loaded(UNet3d model, Preprocessing preprocessing, int window) {}

    /** The class probabilities {@code [K, D, H, W]} and the labels {@code [D, H, W]} on the input's grid. */
    public record Result(Tensor probabilities, LabelTensor labels) {}

    private final Loaded trained;
    private final boolean mirror;

    public Predictor(Loaded trained, boolean mirror) {
        this.trained = trained;
        this.mirror = mirror;
    }

    /**
     * Reads a checkpoint of {@code segloss train --data DIR}: the preprocessing from its metadata
     * (which gives the channels and classes), then the U-Net through {@link TrainedModel#load}; the
     * window is the run's validation window, or its patch when that was the whole volume.
     *
     * @throws IllegalArgumentException naming the file when the metadata lacks what is needed (e.g. a
     *     run on the built-in data sets) or the weights do not fit
     */
    public static Loaded load(Path checkpoint) throws IOException {
        Map<String, String> m;
        try {
            m = Checkpoint.read(checkpoint).metadata();
        } catch (IOException e) {
            throw new IllegalArgumentException("--checkpoint " + checkpoint + ": " + e.getMessage(), e);
        }
        Preprocessing prep;
        try {
            prep = Preprocessing.fromMetadata(m);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--checkpoint " + checkpoint + ": " + e.getMessage(), e);
        }
        TrainedModel trained;
        try {
            trained = TrainedModel.load(checkpoint, prep.channels().size(), prep.classes());
        } catch (IOException e) {
            throw new IllegalArgumentException("--checkpoint " + checkpoint + ": " + e.getMessage(), e);
        }
        int window = trained.inference().window();
        if (window == 0) {
            try {
                window = Integer.parseInt(m.get("patch"));
            } catch (NumberFormatException | NullPointerException e) {
                throw new IllegalArgumentException("--checkpoint " + checkpoint + ": metadata 'patch' must be an integer, got "
                        + m.get("patch"));
            }
        }
        return new Loaded(trained.model(), prep, window);
    }

    /** Predicts one loaded case (its channels must match the model's). */
    public Result predict(LoadedCase c) {
        Preprocessing prep = trained.preprocessing();
        Prepared p = prep.apply(c);
        int w = trained.window();
        int[] s = p.geometry().resampledShape();
        Padding pad = Padding.toAtLeast(s, new int[] {w, w, w});
        Tensor logits = slidingWindowLogits(trained.model(), prep.classes(), pad.pad(p.image()), w, mirror);
        Tensor probs = prep.toOriginalGrid(pad.unpad(logits), p.geometry());
        return new Result(probs, probs.argmax(0));
    }

    /**
     * Gaussian-weighted sliding-window logits {@code [K, D, H, W]} of {@code image [C, D, H, W]},
     * every side at least {@code window}; windows of {@code window}³ at half-window steps, the last
     * flush with the end ({@code SlidingWindow.starts}).
     */
    public static Tensor slidingWindowLogits(Module model, int classes, Tensor image, int window, boolean mirror) {
        int ch = image.dim(0), d = image.dim(1), h = image.dim(2), wd = image.dim(3);
        if (d < window || h < window || wd < window) {
            throw new IllegalArgumentException("Predictor.slidingWindowLogits: image " + image.shape() + " must be at least the window "
                    + window + " along every axis (pad it)");
        }
        int vox = d * h * wd, pv = window * window * window;
        float[] img = image.toArray(), acc = new float[classes * vox], weightSum = new float[vox], win = new float[ch * pv];
        float[] gauss = gaussian(window);
        try (NoGrad ignored = NoGrad.enter()) {
            for (int z : org.segloss.examples.unet.SlidingWindow.starts(d, window)) {
                for (int y : org.segloss.examples.unet.SlidingWindow.starts(h, window)) {
                    for (int x : org.segloss.examples.unet.SlidingWindow.starts(wd, window)) {
                        for (int c = 0; c < ch; c++) {
                            for (int k = 0; k < window; k++) {
                                for (int j = 0; j < window; j++) {
                                    System.arraycopy(img, c * vox + ((z + k) * h + y + j) * wd + x, win, c * pv + (k * window + j) * window,
                                            window);
                                }
                            }
                        }
                        float[] out = windowLogits(model, classes, win, ch, window, mirror);
                        for (int c = 0; c < classes; c++) {
                            for (int k = 0; k < window; k++) {
                                for (int j = 0; j < window; j++) {
                                    int dst = c * vox + ((z + k) * h + y + j) * wd + x, src = c * pv + (k * window + j) * window;
                                    int g = (k * window + j) * window;
                                    for (int i = 0; i < window; i++) acc[dst + i] += gauss[g + i] * out[src + i];
                                }
                            }
                        }
                        for (int k = 0; k < window; k++) {
                            for (int j = 0; j < window; j++) {
                                int dst = ((z + k) * h + y + j) * wd + x, g = (k * window + j) * window;
                                for (int i = 0; i < window; i++) weightSum[dst + i] += gauss[g + i];
                            }
                        }
                    }
                }
            }
        }
        for (int c = 0; c < classes; c++) for (int v = 0; v < vox; v++) acc[c * vox + v] /= weightSum[v];
        return Tensor.wrap(acc, classes, d, h, wd);
    }

    /** The logits {@code [K, p, p, p]} (flat) of one window, averaged over the mirrorings if asked. */
    static float[] windowLogits(Module model, int classes, float[] win, int ch, int p, boolean mirror) {
        float[] sum = null;
        int flips = mirror ? 8 : 1;
        for (int f = 0; f < flips; f++) {
            float[] in = f == 0 ? win : flip(win, ch, p, f);
            Tensor logits = model.forward(Var.constant(Tensor.of(in, 1, ch, p, p, p))).value();
            if (logits.rank() != 5 || logits.dim(1) != classes || logits.dim(2) != p || logits.dim(3) != p || logits.dim(4) != p) {
                throw new IllegalArgumentException("Predictor: the model must map [1, " + ch + ", " + p + ", " + p + ", " + p + "] to [1, "
                        + classes + ", " + p + ", " + p + ", " + p + "], got " + logits.shape());
            }
            float[] out = f == 0 ? logits.toArray() : flip(logits.toArray(), classes, p, f);
            if (sum == null) sum = out;
            else for (int i = 0; i < sum.length; i++) sum[i] += out[i];
        }
        if (flips > 1) for (int i = 0; i < sum.length; i++) sum[i] /= flips;
        return sum;
    }

    /** {@code [C, p, p, p]} flipped along D (bit 0 of {@code mask}), H (bit 1), W (bit 2); an involution. */
    static float[] flip(float[] v, int channels, int p, int mask) {
        float[] out = new float[v.length];
        int pv = p * p * p;
        for (int c = 0; c < channels; c++) {
            for (int k = 0; k < p; k++) {
                int sk = (mask & 1) != 0 ? p - 1 - k : k;
                for (int j = 0; j < p; j++) {
                    int sj = (mask & 2) != 0 ? p - 1 - j : j;
                    for (int i = 0; i < p; i++) {
                        int si = (mask & 4) != 0 ? p - 1 - i : i;
                        out[c * pv + (k * p + j) * p + i] = v[c * pv + (sk * p + sj) * p + si];
                    }
                }
            }
        }
        return out;
    }

    /** The Gaussian weights of a {@code p}³ window (flat, D-major), maximum 1. */
    static float[] gaussian(int p) {
        double sigma = p * SIGMA_SCALE, c = (p - 1) / 2.0;
        double[] g1 = new double[p];
        for (int i = 0; i < p; i++) g1[i] = Math.exp(-(i - c) * (i - c) / (2 * sigma * sigma));
        double max = g1[p / 2] * g1[p / 2] * g1[p / 2];
        float[] g = new float[p * p * p];
        for (int k = 0, o = 0; k < p; k++) for (int j = 0; j < p; j++) for (int i = 0; i < p; i++, o++) g[o] = (float) (g1[k] * g1[j] * g1[i] / max);
        return g;
    }
}
