package org.segloss.examples.train;

import org.segloss.examples.unet.SlidingWindow;
import org.segloss.examples.unet.UNet3d;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * Inference on whole volumes, usable on its own (validation uses it; so can a command that
 * predicts new volumes with a trained model): sliding windows ({@link SlidingWindow}: windows of
 * {@code window}³, stride half a window, logits averaged; {@code window} 0 runs the whole volume
 * at once), argmax, then the {@link Postprocess}. The model runs in eval mode and is put back in
 * the mode it was in.
 *
 * @param window     window side, a multiple of the model's {@link UNet3d#sizeDivisor()}, or 0
 * @param postprocess applied to the argmax map
 */
public record Inference(int window, Postprocess postprocess) {
    public Inference {
        if (window < 0) throw new IllegalArgumentException("Inference: window must be >= 0 (0 = whole volume), got " + window);
        if (postprocess == null) throw new IllegalArgumentException("Inference: postprocess must not be null (Postprocess.none)");
    }

    /** The label map {@code [D, H, W]} that {@code model} predicts for {@code image [C, D, H, W]}. */
    public LabelTensor predict(UNet3d model, Tensor image) {
        boolean training = model.isTraining();
        model.eval();
        try {
            return postprocess.apply(SlidingWindow.predict(model, image, window), model.classes());
        } finally {
            if (training) model.train();
        }
    }
}
