package org.segloss.examples.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.segloss.examples.unet.UNet3d;
import org.segloss.nn.Checkpoint;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * A trained U-Net read back from a run's checkpoint, with the inference the run validated with
 * (window and post-processing from the checkpoint's metadata): what predicting new volumes needs.
 * The checkpoint does not store the image channels and the number of classes (they come from the
 * data the run trained on), so the caller gives them.
 *
 * @param model     the network, in eval mode, with the checkpoint's weights
 * @param inference sliding-window size and post-processing of the run's validation
 * @param metadata  the run's parameters ({@link RunConfig#metadata()})
 */
public record TrainedModel(UNet3d model, Inference inference, Map<String, String> metadata) {

    /**
     * Rebuilds the U-Net of the run that wrote {@code checkpoint} (depth, base channels, deep
     * supervision from its metadata) and loads its weights.
     *
     * @throws IllegalArgumentException when the checkpoint was not written by a training run
     *     ({@link RunConfig#FORMAT}), lacks a parameter, or does not fit {@code inChannels} and {@code classes}
     * @throws IOException when the file cannot be read or is damaged
     */
    public static TrainedModel load(Path checkpoint, int inChannels, int classes) throws IOException {
        Checkpoint c = Checkpoint.read(checkpoint);
        Map<String, String> m = c.metadata();
        if (!RunConfig.FORMAT.equals(m.get("format"))) {
            throw new IllegalArgumentException("TrainedModel.load: " + checkpoint + " has format " + m.get("format") + ", expected "
                    + RunConfig.FORMAT + " (a checkpoint of segloss train)");
        }
        int depth = Integer.parseInt(required(m, "depth", checkpoint));
        int base = Integer.parseInt(required(m, "base-channels", checkpoint));
        boolean deepSupervision = Boolean.parseBoolean(required(m, "deep-supervision", checkpoint));
        String window = required(m, "val-window", checkpoint);
        int side = Integer.parseInt(window.isEmpty() ? required(m, "patch", checkpoint) : window);
        Postprocess post = Postprocess.valueOf(required(m, "postprocess", checkpoint));
        UNet3d model = new RunConfig.ModelSpec(depth, base, deepSupervision).build(inChannels, classes, 0);
        try {
            c.restore(model, null);
        } catch (IOException e) {
            throw new IllegalArgumentException("TrainedModel.load: " + checkpoint + " does not fit a U-Net with " + inChannels
                    + " input channels and " + classes + " classes: " + e.getMessage(), e);
        }
        model.eval();
        return new TrainedModel(model, new Inference(side, post), m);
    }

    private static String required(Map<String, String> m, String key, Path checkpoint) {
        String v = m.get(key);
        if (v == null) throw new IllegalArgumentException("TrainedModel.load: " + checkpoint + " lacks the parameter '" + key + "'");
        return v;
    }

    /** The label map {@code [D, H, W]} for {@code image [C, D, H, W]}. */
    public LabelTensor predict(Tensor image) {
        return inference.predict(model, image);
    }
}
