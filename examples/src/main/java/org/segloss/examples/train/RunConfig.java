package org.segloss.examples.train;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.segloss.examples.unet.LabeledVolume;
import org.segloss.examples.unet.PatchSampler;
import org.segloss.examples.unet.TrainingData;
import org.segloss.examples.unet.UNet3d;
import org.segloss.loss.Loss;
import org.segloss.nn.LrSchedule;

/**
 * Everything that determines a training run ({@link Trainer}): the data, the model, the loss, the
 * optimizer and its schedule, the patch sampler, validation, the seed, the thread count and the
 * output folder. Each part checks its own values when it is made; this record checks how they fit
 * together (patch and window sizes against the U-Net's depth and the volumes).
 *
 * <p>Parameters carry the names {@code segloss train} gives its options and the checkpoint its
 * metadata ({@link #metadata()}), and errors name them that way (e.g. {@code --patch must be a
 * positive multiple of 4 ...}), so one message serves the command line and the library.
 *
 * @param data       training and validation volumes
 * @param model      the U-Net's shape
 * @param loss       the loss and the name it is stored under
 * @param schedule   epochs, steps per epoch, learning rate (AdamW with nnU-Net's polynomial decay)
 * @param sampler    the training patches
 * @param validation sliding-window validation after every epoch
 * @param seed       seed of the initial weights and the patch sequence (data sets take their own)
 * @param threads    threads for the parallel kernels during the run, or null to keep the current
 *                   count; restored when the run ends. Results do not depend on it.
 * @param out        folder for metrics.csv, the checkpoint, the pictures and the NIfTI files
 * @param initialWeights weights to start from instead of the seed's ({@link InitialWeights}: fine-tuning), or null;
 *                   checked against the U-Net of {@code model} here (every differing tensor named). The seed
 *                   still draws the patch sequence.
 */
public record RunConfig(TrainingData data, ModelSpec model, LossSpec loss, TrainingSchedule schedule, SamplerSpec sampler,
        ValidationSpec validation, long seed, Integer threads, Path out, InitialWeights initialWeights) {

    /** A run from the seed's initial weights. */
    public RunConfig(TrainingData data, ModelSpec model, LossSpec loss, TrainingSchedule schedule, SamplerSpec sampler,
            ValidationSpec validation, long seed, Integer threads, Path out) {
        this(data, model, loss, schedule, sampler, validation, seed, threads, out, null);
    }

    /** The metadata format written into the checkpoint. */
    public static final String FORMAT = "segloss-train-1";

    public RunConfig {
        if (data == null || model == null || loss == null || schedule == null || sampler == null || validation == null || out == null) {
            throw new IllegalArgumentException("RunConfig: data, model, loss, schedule, sampler, validation and out must not be null");
        }
        checkSizes(model, sampler, validation, threads);
        int divisor = model.divisor();
        int window = validation.windowFor(sampler.patch());
        for (LabeledVolume v : data.train()) {
            for (int a = 0; a < 3; a++) {
                check(sampler.patch() <= v.dim(a), "--patch " + sampler.patch() + " must fit the training volumes " + v.labels().shape());
            }
        }
        for (LabeledVolume v : data.validation()) {
            for (int a = 0; a < 3; a++) {
                int side = window == 0 ? v.dim(a) : Math.min(window, v.dim(a));
                check(side % divisor == 0, "validation windows of " + (window == 0 ? "whole volumes" : window + "^3") + " on "
                        + v.labels().shape() + " have a side " + side + " that is not a multiple of " + divisor + " (depth "
                        + model.depth() + ")");
            }
        }
        // the shapes now, not at the first step: a scratch U-Net of this shape takes the weights or names what differs
        if (initialWeights != null) initialWeights.applyTo(model.build(data.channels(), data.classes(), 0));
    }

    /**
     * The checks that do not need the data: patch and validation window against the U-Net's
     * depth, and the thread count. The command line calls it before it loads the data.
     */
    public static void checkSizes(ModelSpec model, SamplerSpec sampler, ValidationSpec validation, Integer threads) {
        int divisor = model.divisor();
        check(sampler.patch() % divisor == 0, "--patch must be a positive multiple of " + divisor + " (2^(depth-1), depth "
                + model.depth() + "), got " + sampler.patch());
        int window = validation.windowFor(sampler.patch());
        check(window == 0 || (window > 0 && window % divisor == 0), "--val-window must be 0 or a positive multiple of " + divisor
                + ", got " + window);
        if (threads != null) check(threads >= 1, "--threads must be >= 1, got " + threads);
    }

    static void check(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }

    /** The validation window in force: {@link ValidationSpec#window()}, or the patch side when that is null. */
    public int validationWindow() { return validation.windowFor(sampler.patch()); }

    /** The same run with another output folder. */
    public RunConfig withOut(Path folder) {
        return new RunConfig(data, model, loss, schedule, sampler, validation, seed, threads, folder, initialWeights);
    }

    /** The same run with another loss (e.g. a study: same data, seed, weights and patches). */
    public RunConfig withLoss(LossSpec other) {
        return new RunConfig(data, model, other, schedule, sampler, validation, seed, threads, out, initialWeights);
    }

    /** The same run starting from {@code weights} (null: from the seed's). */
    public RunConfig withInitialWeights(InitialWeights weights) {
        return new RunConfig(data, model, loss, schedule, sampler, validation, seed, threads, out, weights);
    }

    /**
     * The parameters that determine the run, in a fixed order, as stored in the checkpoint and
     * compared on resume: format, data, loss, epochs, steps-per-epoch, patch, batch,
     * foreground-share, lr, seed, the data set's own parameters ({@link TrainingData#parameters()}),
     * val-window (empty: the patch size), depth, base-channels, deep-supervision, postprocess, and
     * init-weights ({@link InitialWeights#id()}) only when the run starts from given weights (so
     * checkpoints of runs from the seed's weights keep their metadata).
     */
    public Map<String, String> metadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("data", data.name());
        m.put("loss", loss.id());
        m.put("epochs", Integer.toString(schedule.epochs()));
        m.put("steps-per-epoch", Integer.toString(schedule.stepsPerEpoch()));
        m.put("patch", Integer.toString(sampler.patch()));
        m.put("batch", Integer.toString(sampler.batch()));
        m.put("foreground-share", Double.toString(sampler.foregroundShare()));
        m.put("lr", Float.toString(schedule.lr()));
        m.put("seed", Long.toString(seed));
        m.putAll(data.parameters());
        m.put("val-window", validation.window() == null ? "" : Integer.toString(validation.window()));
        m.put("depth", Integer.toString(model.depth()));
        m.put("base-channels", Integer.toString(model.baseChannels()));
        m.put("deep-supervision", Boolean.toString(model.deepSupervision()));
        m.put("postprocess", validation.postprocess().name());
        if (initialWeights != null) m.put("init-weights", initialWeights.id());
        return m;
    }

    /**
     * The U-Net: {@code depth} levels, {@code baseChannels} channels at the first level (doubled
     * per level), optionally with deep-supervision heads (nnU-Net's weights give the
     * lowest-resolution output 0, so they need depth >= 4).
     */
    public record ModelSpec(int depth, int baseChannels, boolean deepSupervision) {
        public ModelSpec {
            check(depth >= 1 && depth <= 6, "--depth must be in [1, 6], got " + depth);
            check(baseChannels >= 1, "--base-channels must be >= 1, got " + baseChannels);
            // nnU-Net's deep-supervision weights give the lowest-resolution output 0: with depth 3 that leaves one output
            check(!deepSupervision || depth >= 4, "--deep-supervision needs --depth >= 4 (with depth " + depth + " the decoder has "
                    + Math.max(1, depth - 1) + " outputs and nnU-Net's weights give every output but the full-resolution one 0)");
        }

        /** The example's default: depth 3, 8 base channels, no deep supervision. */
        public static ModelSpec defaults() {
            return new ModelSpec(UNet3d.DEFAULT_DEPTH, UNet3d.DEFAULT_BASE_CHANNELS, false);
        }

        /** Patch and window sides must be multiples of this: 2^(depth-1). */
        public int divisor() { return 1 << (depth - 1); }

        /** The network with weights drawn from {@code seed}. */
        public UNet3d build(int inChannels, int classes, long seed) {
            return new UNet3d(inChannels, classes, depth, baseChannels, deepSupervision, seed);
        }
    }

    /**
     * The loss and the string that identifies it in the checkpoint and the pictures. A loss that
     * implements {@link EpochAware} is told the epoch before each one.
     *
     * @param id   e.g. the catalogue's canonical {@code dice-ce:include-background=false,...}; compared on resume
     * @param loss the loss; {@code forward(logits [B, C, D, H, W], labels [B, D, H, W])}
     */
    public record LossSpec(String id, Loss loss) {
        public LossSpec {
            if (id == null || id.isBlank() || loss == null) throw new IllegalArgumentException("LossSpec: id and loss must be given");
        }

        /** A loss identified by its own {@link Loss#name()}. */
        public static LossSpec of(Loss loss) {
            if (loss == null) throw new IllegalArgumentException("LossSpec.of: loss must not be null");
            return new LossSpec(loss.name(), loss);
        }
    }

    /**
     * Epochs, optimizer steps per epoch and AdamW's initial learning rate, decayed per epoch by
     * nnU-Net's polynomial schedule {@code lr (1 - e/E)^0.9} ({@link LrSchedule#poly}).
     */
    public record TrainingSchedule(int epochs, int stepsPerEpoch, float lr) {
        public TrainingSchedule {
            check(epochs > 0, "--epochs must be > 0, got " + epochs);
            check(stepsPerEpoch > 0, "--steps-per-epoch must be > 0, got " + stepsPerEpoch);
            check(lr > 0 && Float.isFinite(lr), "--lr must be > 0, got " + lr);
        }

        /** The learning rate per epoch. */
        public LrSchedule lrSchedule() { return LrSchedule.poly(lr, epochs); }
    }

    /**
     * The training patches ({@link PatchSampler}): {@code batch} patches of {@code patch}³ per step,
     * a share {@code foregroundShare} centred on a foreground voxel (nnU-Net's oversampling).
     */
    public record SamplerSpec(int patch, int batch, double foregroundShare) {
        public SamplerSpec {
            check(patch > 0, "--patch must be > 0, got " + patch);
            check(batch > 0, "--batch must be > 0, got " + batch);
            check(foregroundShare >= 0 && foregroundShare <= 1, "--foreground-share must be in [0, 1], got " + foregroundShare);
        }

        /** Batch 2 of {@code patch}³, a third centred on foreground. */
        public static SamplerSpec of(int patch) {
            return new SamplerSpec(patch, 2, PatchSampler.DEFAULT_FOREGROUND_SHARE);
        }

        /** Voxels per optimizer step. */
        public long voxelsPerStep() { return (long) batch * patch * patch * patch; }
    }

    /**
     * Validation after every epoch ({@link Validator}): sliding windows of {@code window}³ (null:
     * the patch size; 0: the whole volume), then the post-processing.
     */
    public record ValidationSpec(Integer window, Postprocess postprocess) {
        public ValidationSpec {
            if (postprocess == null) throw new IllegalArgumentException("ValidationSpec: postprocess must not be null (Postprocess.none)");
        }

        /** Windows of the patch size, no post-processing. */
        public static ValidationSpec defaults() { return new ValidationSpec(null, Postprocess.none); }

        /** The window side in force for this patch side. */
        public int windowFor(int patch) { return window == null ? patch : window; }
    }
}
