package org.segloss.cli;

import org.segloss.examples.train.Postprocess;
import org.segloss.examples.train.RunConfig;
import org.segloss.examples.train.RunConfig.ModelSpec;
import org.segloss.examples.train.RunConfig.SamplerSpec;
import org.segloss.examples.train.RunConfig.TrainingSchedule;
import org.segloss.examples.train.RunConfig.ValidationSpec;
import org.segloss.examples.unet.PatchSampler;
import org.segloss.examples.unet.UNet3d;
import picocli.CommandLine.Option;

/**
 * The options of a training run that {@code segloss train} and {@code segloss study} share (a
 * picocli mixin): the schedule, the patch sampler, the U-Net and the validation window. Their
 * names, defaults and help text stand here only; {@link #schedule}, {@link #sampler},
 * {@link #model} and {@link #validation} turn them into the parts of a {@link RunConfig}.
 */
final class TrainingOptions {
    @Option(names = "--epochs", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs = 10;

    @Option(names = "--steps-per-epoch", description = "Optimizer steps per epoch (default: ${DEFAULT-VALUE}).")
    int stepsPerEpoch = 100;

    @Option(names = "--patch", description = "Side of the training patches, a multiple of 2^(depth-1), 4 at depth 3 (default: ${DEFAULT-VALUE}).")
    int patch = 32;

    @Option(names = "--batch", description = "Patches per step (default: ${DEFAULT-VALUE}).")
    int batch = 2;

    @Option(names = "--foreground-share", description = "Share of patches centred on a voxel of a foreground class, the class drawn"
            + " uniformly among those present (nnU-Net's oversampling; default: 1/3).")
    double foregroundShare = PatchSampler.DEFAULT_FOREGROUND_SHARE;

    @Option(names = "--lr", description = "Initial learning rate of AdamW (default: ${DEFAULT-VALUE}).")
    float lr = 3e-3f;

    @Option(names = "--val-window", description = "Sliding-window side for validation; 0 = whole volume (default: the patch size).")
    Integer valWindow;

    @Option(names = "--depth", description = "U-Net levels (default: ${DEFAULT-VALUE}); patches and windows must be multiples of"
            + " 2^(depth-1).")
    int depth = UNet3d.DEFAULT_DEPTH;

    @Option(names = "--base-channels", description = "Channels of the first level, doubled per level (default: ${DEFAULT-VALUE}).")
    int baseChannels = UNet3d.DEFAULT_BASE_CHANNELS;

    TrainingSchedule schedule() {
        return new TrainingSchedule(epochs, stepsPerEpoch, lr);
    }

    SamplerSpec sampler() {
        return new SamplerSpec(patch, batch, foregroundShare);
    }

    /** The U-Net; {@code deepSupervision} is an option of {@code segloss train} only. */
    ModelSpec model(boolean deepSupervision) {
        return new ModelSpec(depth, baseChannels, deepSupervision);
    }

    /** The validation; {@code postprocess} is an option of {@code segloss train} only. */
    ValidationSpec validation(Postprocess postprocess) {
        return new ValidationSpec(valWindow, postprocess);
    }
}
