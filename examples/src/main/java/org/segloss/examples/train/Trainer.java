package org.segloss.examples.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import org.segloss.autograd.Var;
import org.segloss.examples.unet.PatchSampler;
import org.segloss.examples.unet.UNet3d;
import org.segloss.loss.BoundarySchedule;
import org.segloss.loss.Loss;
import org.segloss.loss.WeightedSumLoss;
import org.segloss.nn.AdamW;
import org.segloss.nn.Checkpoint;
import org.segloss.nn.LrSchedule;
import org.segloss.tensor.kernel.Parallel;

/**
 * Runs one training run of a {@link RunConfig}: the U-Net from the seed, AdamW with the
 * polynomial schedule, the patch sampler, per epoch the optimizer steps, validation
 * ({@link Validator}) and the outputs ({@link RunOutputs}: metrics.csv, the checkpoint, the
 * pictures, the NIfTI files). Progress and per-epoch results go to the {@link TrainingListener}s.
 *
 * <pre>{@code
 * // given: RunConfig config, TrainingListener myListener
 * RunResult fresh = new Trainer(config).listener(myListener).run();   // a fresh run
 * RunResult resumed = new Trainer(config).resume();                   // continue from config.out()'s checkpoint
 * }</pre>
 *
 * <p><b>Seeds.</b> From {@code config.seed()} a {@link SplittableRandom} draws the model's seed,
 * then the sampler's ({@link #seeds}); the sampler is reseeded at every epoch from (sampler seed,
 * epoch) ({@link #epochSeed}). The loss draws nothing, so runs with the same seed start from the
 * same weights and see the same patches whatever their loss (what a study compares), and a
 * resumed run continues exactly: it ends with the same checkpoint, byte for byte, as a run that
 * never stopped.
 * A run with {@link RunConfig#initialWeights()} starts from those weights instead of the drawn
 * ones (fine-tuning); the seed still draws the patches.
 *
 * <p><b>Nothing global leaks.</b> The only global state a run touches is {@link Parallel}'s
 * thread count: set from {@code config.threads()} for the run and put back when it ends
 * (normally or not). Results do not depend on it (spec/numerics.md, "Determinism"), so two runs
 * in one JVM give what two processes give.
 *
 * <p><b>Divergence.</b> A loss that is NaN or infinite at a step, or network outputs that are not
 * finite (which a loss would reject with an exception), end the run before that step's update
 * with {@link RunResult.Status#DIVERGED} and where and why it happened, not with an exception: a
 * caller running many runs records it and goes on.
 *
 * <p>A Trainer runs once ({@link #run} or {@link #resume}); make a new one per run.
 */
public final class Trainer {
    private final RunConfig config;
    private final List<TrainingListener> listeners = new ArrayList<>();
    private Integer stopAfterEpoch;
    private boolean used;

    public Trainer(RunConfig config) {
        if (config == null) throw new IllegalArgumentException("Trainer: config must not be null");
        this.config = config;
    }

    public RunConfig config() { return config; }

    /** Adds a listener; returns this. */
    public Trainer listener(TrainingListener l) {
        if (l == null) throw new IllegalArgumentException("Trainer.listener: listener must not be null");
        listeners.add(l);
        return this;
    }

    /**
     * Stops the run after this epoch (1-based, in [1, epochs]) with the checkpoint written, so that
     * {@link #resume()} continues it; returns this.
     */
    public Trainer stopAfterEpoch(int epoch) {
        int epochs = config.schedule().epochs();
        RunConfig.check(epoch >= 1 && epoch <= epochs, "--stop-after-epoch must be in [1, " + epochs + "], got " + epoch);
        this.stopAfterEpoch = epoch;
        return this;
    }

    /** The model's and the sampler's seeds, drawn in this order from {@code seed}. */
    public record Seeds(long model, long sampler) {}

    /** The seeds of a run with this seed. */
    public static Seeds seeds(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        long model = r.nextLong();
        return new Seeds(model, r.nextLong());
    }

    /**
     * The U-Net of {@code config} with its initial weights: {@link RunConfig#initialWeights()} when
     * given, else drawn from the seed (the same for every loss).
     */
    public static UNet3d initialModel(RunConfig config) {
        UNet3d model = config.model().build(config.data().channels(), config.data().classes(), seeds(config.seed()).model());
        if (config.initialWeights() != null) config.initialWeights().applyTo(model);
        return model;
    }

    /**
     * The sampler's seed for an epoch: a SplitMix64 mix of the run's sampler seed and the epoch, so
     * every epoch draws from its own stream and a resumed run continues exactly.
     */
    public static long epochSeed(long samplerSeed, int epoch) {
        long z = samplerSeed + 0x9E3779B97F4A7C15L * (epoch + 1L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * A fresh run: a checkpoint of an earlier run in the output folder is deleted at the start (so a
     * crash in the first epoch cannot leave it next to the new metrics.csv for a later resume).
     *
     * @throws RunSetupException when the output folder cannot be used
     * @throws IOException       when writing an output fails
     */
    public RunResult run() throws IOException {
        return execute(false);
    }

    /**
     * Continues the run in the output folder from its checkpoint. The checkpoint's metadata must
     * equal {@link RunConfig#metadata()} (compared before any weight is loaded).
     *
     * @throws RunSetupException when there is no checkpoint, it cannot be read, or it was written
     *     by a run with other parameters (every difference listed)
     */
    public RunResult resume() throws IOException {
        return execute(true);
    }

    private RunResult execute(boolean resume) throws IOException {
        if (used) throw new IllegalStateException("Trainer: a Trainer runs once; make a new one for another run");
        used = true;
        int threadsBefore = Parallel.threads();
        if (config.threads() != null) Parallel.setThreads(config.threads());
        try {
            return train(resume);
        } finally {
            Parallel.setThreads(threadsBefore);
        }
    }

    private RunResult train(boolean resume) throws IOException {
        RunOutputs outputs = new RunOutputs(config.out(), config.data(), config.loss().id());
        if (resume && !Files.isDirectory(config.out())) {
            throw new RunSetupException("--resume: no run in " + config.out() + " (" + (Files.exists(config.out())
                    ? "a file, not a run's folder" : "the folder does not exist") + "; train without --resume first)");
        }
        outputs.prepareFolder();
        Seeds seeds = seeds(config.seed());
        UNet3d model = initialModel(config);
        int classes = config.data().classes(), epochs = config.schedule().epochs(), steps = config.schedule().stepsPerEpoch();
        RunConfig.SamplerSpec ss = config.sampler();
        PatchSampler sampler = new PatchSampler(config.data().train(), ss.patch(), classes, ss.foregroundShare(), seeds.sampler());
        AdamW opt = new AdamW(model.parameters(), config.schedule().lr());
        LrSchedule schedule = config.schedule().lrSchedule();
        int scales = model.outputCount();
        float[] dsWeights = WeightedSumLoss.deepSupervisionWeights(scales);
        Validator validator = new Validator(new Inference(config.validationWindow(), config.validation().postprocess()),
                config.data().spacing());
        Loss loss = config.loss().loss();

        Path ckpt = outputs.checkpoint();
        TrainingHistory history = new TrainingHistory(config.data().classNames());
        int firstEpoch = 0;
        if (resume) {
            if (!Files.exists(ckpt)) throw new RunSetupException("--resume: no checkpoint " + ckpt + " (train without --resume first)");
            try {
                // read and compare the parameters first: a model built with others cannot take the weights anyway,
                // and the list of differing parameters says why better than a list of differing tensors
                Checkpoint c = Checkpoint.read(ckpt);
                String mismatch = metadataMismatch(c.metadata(), config.metadata());
                if (mismatch != null) {
                    throw new RunSetupException("--resume: " + ckpt + " was written by a run with other options: " + mismatch
                            + "; resume with the same options, or use another --out");
                }
                firstEpoch = (int) c.epoch();
                if (firstEpoch >= epochs) return new RunResult(RunResult.Status.ALREADY_DONE, List.of(), null, 0);
                if (stopAfterEpoch != null && stopAfterEpoch <= firstEpoch) {
                    throw new RunSetupException("--stop-after-epoch must be > " + firstEpoch + ", the checkpoint's epoch, got "
                            + stopAfterEpoch);
                }
                c.restore(model, opt);
                history = TrainingHistory.read(outputs.metrics(), config.data().classNames(), firstEpoch);
            } catch (IOException e) {
                throw new RunSetupException("--resume: " + e.getMessage(), e);
            }
            for (TrainingListener l : listeners) l.onResuming(ckpt, firstEpoch, epochs);
        } else if (Files.exists(ckpt)) {
            for (TrainingListener l : listeners) l.onReplacing(config.out());
            Files.delete(ckpt);
        }
        TrainingListener.RunStart start = new TrainingListener.RunStart(config, firstEpoch, Parallel.threads(), model.parameterCount(),
                scales);
        for (TrainingListener l : listeners) l.onStart(start);

        long voxelsPerStep = ss.voxelsPerStep();
        long startNanos = System.nanoTime();
        outputs.writeMetrics(history);
        outputs.writeValidationVolume();
        List<EpochResult> done = new ArrayList<>();
        for (int epoch = firstEpoch; epoch < epochs; epoch++) {
            long t0 = System.nanoTime();
            float epochLr = schedule.lr(epoch);
            if (loss instanceof EpochAware e) e.onEpoch(epoch, epochs);
            else if (loss instanceof BoundarySchedule b) b.setEpoch(epoch);
            opt.lr(epochLr);
            model.train();
            double lossSum = 0;
            for (TrainingListener l : listeners) l.onEpochStart(epoch, epochs, steps);
            try {
                sampler.reseed(epochSeed(seeds.sampler(), epoch));
                for (int step = 0; step < steps; step++) {
                    PatchSampler.Batch b = sampler.next(ss.batch());
                    opt.zeroGrad();
                    Var[] logits = model.deepSupervision()
                            ? model.forwardDeepSupervision(Var.constant(b.images())).toArray(Var[]::new)
                            : new Var[] {model.forward(Var.constant(b.images()))};
                    for (Var o : logits) {
                        // a loss would reject non-finite logits with an exception; the run ends with a result instead
                        if (!o.value().isFinite()) {
                            return new RunResult(RunResult.Status.DIVERGED, done, new RunResult.Divergence(epoch + 1, step + 1, Float.NaN,
                                    RunResult.Divergence.Cause.OUTPUT), (System.nanoTime() - startNanos) / 1e9);
                        }
                    }
                    Var l = model.deepSupervision()
                            ? WeightedSumLoss.deepSupervision(loss, dsWeights, logits, UNet3d.downsampleTargets(b.labels(), scales))
                            : loss.forward(logits[0], b.labels());
                    float value = l.item();
                    if (!Float.isFinite(value)) {
                        return new RunResult(RunResult.Status.DIVERGED, done, new RunResult.Divergence(epoch + 1, step + 1, value,
                                RunResult.Divergence.Cause.LOSS), (System.nanoTime() - startNanos) / 1e9);
                    }
                    l.backward();
                    opt.step();
                    lossSum += value;
                    double secs = (System.nanoTime() - t0) / 1e9;
                    for (TrainingListener tl : listeners) tl.onStep(epoch, step, lossSum / (step + 1), voxelsPerStep * (step + 1) / secs);
                }
            } finally {
                for (TrainingListener l : listeners) l.onStepsDone(epoch);
            }
            double meanLoss = lossSum / steps;
            Validation v = validator.validate(model, config.data().validation());
            double seconds = (System.nanoTime() - t0) / 1e9;
            history.add(epoch + 1, meanLoss, epochLr, v.perClass(), seconds);
            EpochResult result = new EpochResult(epoch + 1, epochs, meanLoss, epochLr, v, seconds);
            done.add(result);
            for (TrainingListener l : listeners) l.onEpochEnd(result);
            outputs.writeMetrics(history);
            Checkpoint.save(ckpt, model, opt, epoch + 1, config.metadata());
            outputs.drawPictures(history, v.predictions(), m -> listeners.forEach(l -> l.onWarning(m)));
            outputs.writePrediction(v.predictions().get(0));
            if (stopAfterEpoch != null && epoch + 1 == stopAfterEpoch && epoch + 1 < epochs) {
                return new RunResult(RunResult.Status.STOPPED, done, null, (System.nanoTime() - startNanos) / 1e9);
            }
        }
        return new RunResult(RunResult.Status.COMPLETED, done, null, (System.nanoTime() - startNanos) / 1e9);
    }

    /** "--lr: 0.003 in the checkpoint, 0.001 now; ..." or null when both maps agree. */
    public static String metadataMismatch(Map<String, String> stored, Map<String, String> now) {
        List<String> diffs = new ArrayList<>();
        Set<String> keys = new LinkedHashSet<>(now.keySet());
        keys.addAll(stored.keySet());
        for (String k : keys) {
            String a = stored.get(k), b = now.get(k);
            if (!Objects.equals(a, b)) diffs.add("--" + k + ": " + show(a) + " in the checkpoint, " + show(b) + " now");
        }
        return diffs.isEmpty() ? null : String.join("; ", diffs);
    }

    private static String show(String v) {
        return v == null ? "(absent)" : v.isEmpty() ? "(default)" : v;
    }
}
