package org.segloss.cli;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.segloss.autograd.Var;
import org.segloss.examples.unet.LabeledVolume;
import org.segloss.examples.unet.LargestComponent;
import org.segloss.examples.unet.MniAtlas;
import org.segloss.examples.unet.PatchSampler;
import org.segloss.examples.unet.Phantoms;
import org.segloss.examples.unet.SegmentationDataset;
import org.segloss.examples.unet.SlidingWindow;
import org.segloss.examples.unet.UNet3d;
import org.segloss.examples.viz.SliceOverlay;
import org.segloss.examples.viz.TrainingCurves;
import org.segloss.loss.WeightedSumLoss;
import org.segloss.io.Nifti;
import org.segloss.io.NiftiImage;
import org.segloss.metrics.ClassMetrics;
import org.segloss.metrics.MetricsReport;
import org.segloss.metrics.SegmentationMetrics;
import org.segloss.nn.AdamW;
import org.segloss.nn.Checkpoint;
import org.segloss.nn.CheckpointException;
import org.segloss.nn.LrSchedule;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.kernel.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code segloss train}: trains the tiny 3-D U-Net ({@link UNet3d}(1, classes, depth 3, base 8),
 * optionally with deep-supervision heads) with AdamW and nnU-Net's polynomial learning-rate decay
 * (per epoch), validates after every epoch and writes what a researcher looks at into {@code --out}.
 *
 * <p>Data ({@code --data}): {@code phantom}, the built-in synthetic phantoms
 * ({@link SegmentationDataset#phantoms}: {@code --train-volumes} from seeds {@code seed + i},
 * {@code --val-volumes} from {@code seed + 1000 + j}, side {@code --volume-size}); or {@code mni},
 * the Colin27 T1 with the AAL deep grey-matter structures ({@link MniAtlas}: the left hemisphere
 * trains, the mirrored right one validates). An option of the other data set is an error, not
 * ignored.
 *
 * <p>Loss ({@code --loss}, {@code --loss-option}): any name of {@link LossCatalog} with its typed
 * options; scheduled losses (boundary) are advanced at the start of every epoch.
 *
 * <p>Validation: {@link SlidingWindow} inference (windows of {@code --val-window}, default the
 * patch size; 0 = whole volume), then Dice, IoU, HD95 and ASSD per class in millimetres
 * ({@link SegmentationMetrics}; empty-mask rules in spec/metrics.md), averaged over the validation
 * volumes, printed as a table per epoch.
 *
 * <p>Output, rewritten after every epoch: {@code metrics.csv} (one row per epoch, every metric per
 * class), {@code checkpoint.ckpt} (model, AdamW state, epoch and the run's options;
 * {@link Checkpoint}), {@code curves.png} (loss and per-class Dice), {@code validation-slices.png}
 * (axial and coronal slices of the first validation volume with truth and prediction) and that
 * volume as NIfTI: image, truth and prediction in the data set's space.
 *
 * <p>{@code --resume} continues the run in {@code --out} from its checkpoint and gives the same
 * bits as a run that never stopped: the options must equal those stored in the checkpoint, the
 * optimizer state is restored exactly, and the patch sampler is reseeded at every epoch from
 * (seed, epoch) ({@link #epochSeed}), so nothing depends on what happened before the epoch.
 *
 * <p>Reproducible for a given seed and thread count: the data, the sampler and the initialisation
 * are fixed by the seed, and the kernels give the same bits in every JIT tier (spec/numerics.md,
 * "Determinism").
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Trains the tiny 3-D U-Net (phantoms or the MNI atlas), validates every epoch (Dice, IoU, HD95, ASSD) and"
                + " writes metrics.csv, a checkpoint, PNGs and the validation prediction as NIfTI into --out.")
final class TrainCommand implements Callable<Integer> {
    static final int DEFAULT_VOLUME_SIZE = 64, DEFAULT_TRAIN_VOLUMES = 4, DEFAULT_VAL_VOLUMES = 2, DEFAULT_MNI_DOWNSAMPLE = 1;

    /** The files a run writes into {@code --out}. */
    static final String METRICS_FILE = "metrics.csv", CHECKPOINT_FILE = "checkpoint.ckpt", CURVES_FILE = "curves.png",
            OVERLAY_FILE = "validation-slices.png", IMAGE_NIFTI = "validation-image.nii.gz", TRUTH_NIFTI = "validation-truth.nii.gz",
            PREDICTION_NIFTI = "validation-prediction.nii.gz";

    @Option(names = "--data", description = "Data set: phantom (built-in synthetic phantoms) or mni (Colin27 T1 + AAL deep grey"
            + " matter, Debian's mricron-data). Default: ${DEFAULT-VALUE}.")
    String data = "phantom";

    @Option(names = "--loss", description = "Loss NAME or 'NAME:KEY=VALUE,...'; every name and option: segloss losses."
            + " Default: ${DEFAULT-VALUE}.")
    String loss = LossCatalog.DEFAULT;

    @Option(names = "--loss-option", paramLabel = "KEY=VALUE", description = "An option of the loss, repeatable (see segloss losses).")
    List<String> lossOptions = new ArrayList<>();

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

    @Option(names = "--seed", description = "Seed of data, sampler and initialisation (default: ${DEFAULT-VALUE}).")
    long seed = 2026;

    @Option(names = "--threads", description = "Threads for parallel kernels (default: all cores).")
    Integer threads;

    @Option(names = "--out", description = "Output directory: metrics.csv, checkpoint, PNGs, NIfTI (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("runs", "train");

    @Option(names = "--volume-size", description = "phantom: side of the volumes (default: " + DEFAULT_VOLUME_SIZE + ").")
    Integer volumeSize;

    @Option(names = "--train-volumes", description = "phantom: training volumes (default: " + DEFAULT_TRAIN_VOLUMES + ").")
    Integer trainVolumes;

    @Option(names = "--val-volumes", description = "phantom: validation volumes (default: " + DEFAULT_VAL_VOLUMES + ").")
    Integer valVolumes;

    @Option(names = "--mni-dir", description = "mni: directory with ch2.nii.gz, aal.nii.gz, aal.nii.txt (default: ${DEFAULT-VALUE}).")
    Path mniDir = MniAtlas.DEFAULT_DIR;

    @Option(names = "--mni-downsample", description = "mni: 1 (1 mm voxels) or 2 (2 mm, 8 times fewer) (default: " + DEFAULT_MNI_DOWNSAMPLE
            + ").")
    Integer mniDownsample;

    @Option(names = "--val-window", description = "Sliding-window side for validation; 0 = whole volume (default: the patch size).")
    Integer valWindow;

    /** Post-processing of validation predictions before they are scored and written. */
    enum Postprocess { none, largest_component }

    @Option(names = "--postprocess", description = "Validation post-processing: none or largest_component (keep each class's largest"
            + " 6-connected component; right for one-piece structures such as the MNI nuclei, wrong for the phantoms' several lesions)."
            + " Default: ${DEFAULT-VALUE}.")
    Postprocess postprocess = Postprocess.none;

    @Option(names = "--depth", description = "U-Net levels (default: ${DEFAULT-VALUE}); patches and windows must be multiples of"
            + " 2^(depth-1).")
    int depth = UNet3d.DEFAULT_DEPTH;

    @Option(names = "--base-channels", description = "Channels of the first level, doubled per level (default: ${DEFAULT-VALUE}).")
    int baseChannels = UNet3d.DEFAULT_BASE_CHANNELS;

    @Option(names = "--deep-supervision", description = "Train with deep-supervision heads, nnU-Net's weights (1, 1/2, ..., 0,"
            + " normalised; the lowest resolution gets 0, so it needs --depth >= 4).")
    boolean deepSupervision;

    @Option(names = "--resume", description = "Continue the run in --out from its checkpoint (same options required).")
    boolean resume;

    @Option(names = "--stop-after-epoch", description = "Stop after this epoch (checkpoint written; continue with --resume).")
    Integer stopAfterEpoch;

    @Option(names = "--no-progress", description = "No progress bar.")
    boolean noProgress;

    /** The canonical NAME:OPTIONS of the loss in force (set by call), stored in the checkpoint. */
    private String lossName;

    PrintStream outStream = System.out;
    PrintStream errStream = System.err;

    @Override
    public Integer call() throws IOException {
        LossCatalog.Built lossFn;
        SegmentationDataset dataset;
        int window;
        try {
            lossFn = LossCatalog.build(LossCatalog.parse(loss, lossOptions), classesOf(data));
            lossName = lossFn.canonical();
            check(epochs > 0, "--epochs must be > 0, got " + epochs);
            check(stepsPerEpoch > 0, "--steps-per-epoch must be > 0, got " + stepsPerEpoch);
            check(batch > 0, "--batch must be > 0, got " + batch);
            check(depth >= 1 && depth <= 6, "--depth must be in [1, 6], got " + depth);
            check(baseChannels >= 1, "--base-channels must be >= 1, got " + baseChannels);
            int divisor = 1 << (depth - 1);
            check(patch > 0 && patch % divisor == 0, "--patch must be a positive multiple of " + divisor + " (2^(depth-1), depth "
                    + depth + "), got " + patch);
            // nnU-Net's deep-supervision weights give the lowest-resolution output 0: with depth 3 that leaves one output
            check(!deepSupervision || depth >= 4, "--deep-supervision needs --depth >= 4 (with depth " + depth + " the decoder has "
                    + Math.max(1, depth - 1) + " outputs and nnU-Net's weights give every output but the full-resolution one 0)");
            check(lr > 0, "--lr must be > 0, got " + lr);
            check(foregroundShare >= 0 && foregroundShare <= 1, "--foreground-share must be in [0, 1], got " + foregroundShare);
            check(stopAfterEpoch == null || (stopAfterEpoch >= 1 && stopAfterEpoch <= epochs),
                    "--stop-after-epoch must be in [1, " + epochs + "], got " + stopAfterEpoch);
            window = valWindow == null ? patch : valWindow;
            check(window == 0 || (window > 0 && window % divisor == 0), "--val-window must be 0 or a positive multiple of " + divisor
                    + ", got " + window);
            if (threads != null) check(threads >= 1, "--threads must be >= 1, got " + threads);
            dataset = dataset();
            for (LabeledVolume v : dataset.train()) {
                for (int a = 0; a < 3; a++) {
                    check(patch <= v.dim(a), "--patch " + patch + " must fit the training volumes " + v.labels().shape());
                }
            }
            for (LabeledVolume v : dataset.validation()) {
                for (int a = 0; a < 3; a++) {
                    int side = window == 0 ? v.dim(a) : Math.min(window, v.dim(a));
                    check(side % divisor == 0, "validation windows of " + (window == 0 ? "whole volumes" : window + "^3") + " on "
                            + v.labels().shape() + " have a side " + side + " that is not a multiple of " + divisor + " (depth " + depth
                            + ")");
                }
            }
        } catch (IllegalArgumentException e) {
            errStream.println("segloss train: " + e.getMessage());
            return 2;
        } catch (FileNotFoundException e) {
            errStream.println("segloss train: " + e.getMessage());
            return 2;
        }
        if (threads != null) Parallel.setThreads(threads);

        int classes = dataset.classes();
        SplittableRandom seeds = new SplittableRandom(seed);
        UNet3d model = new UNet3d(1, classes, depth, baseChannels, deepSupervision, seeds.nextLong());
        long samplerSeed = seeds.nextLong();
        PatchSampler sampler = new PatchSampler(dataset.train(), patch, classes, foregroundShare, samplerSeed);
        AdamW opt = new AdamW(model.parameters(), lr);
        LrSchedule schedule = LrSchedule.poly(lr, epochs);
        int scales = model.outputCount();
        float[] dsWeights = WeightedSumLoss.deepSupervisionWeights(scales);

        Files.createDirectories(out);
        Path csv = out.resolve(METRICS_FILE), ckpt = out.resolve(CHECKPOINT_FILE);
        String[] classNames = dataset.classNames();
        TrainingHistory history = new TrainingHistory(classNames);
        int firstEpoch = 0;
        if (resume) {
            if (!Files.exists(ckpt)) {
                errStream.println("segloss train: --resume: no checkpoint " + ckpt + " (train without --resume first)");
                return 2;
            }
            try {
                // read and compare the options first: a model built with other options cannot take the weights anyway,
                // and the list of differing options says why better than a list of differing parameters
                Checkpoint c = Checkpoint.read(ckpt);
                String mismatch = configMismatch(c.metadata(), config());
                if (mismatch != null) {
                    errStream.println("segloss train: --resume: " + ckpt + " was written by a run with other options: " + mismatch
                            + "; resume with the same options, or use another --out");
                    return 2;
                }
                firstEpoch = (int) c.epoch();
                if (firstEpoch >= epochs) {
                    outStream.printf(Locale.ROOT, "%s: the run finished all %d epochs; nothing to do%n", ckpt, epochs);
                    return 0;
                }
                if (stopAfterEpoch != null && stopAfterEpoch <= firstEpoch) {
                    errStream.printf(Locale.ROOT, "segloss train: --stop-after-epoch must be > %d, the checkpoint's epoch, got %d%n",
                            firstEpoch, stopAfterEpoch);
                    return 2;
                }
                c.restore(model, opt);
                history = TrainingHistory.read(csv, classNames, firstEpoch);
            } catch (IOException e) {
                errStream.println("segloss train: --resume: " + e.getMessage());
                return 2;
            }
            outStream.printf(Locale.ROOT, "resuming from %s after epoch %d of %d%n", ckpt, firstEpoch, epochs);
        } else if (Files.exists(ckpt)) {
            // a new run in the directory of an old one: drop the old checkpoint now, so that a crash in the first epoch
            // cannot leave it next to the new metrics.csv for a later --resume to pick up
            outStream.println("replacing the earlier run in " + out + " (continue a run with --resume)");
            Files.delete(ckpt);
        }
        outStream.printf(Locale.ROOT, "segloss train: %s, loss %s, %d epochs x %d steps, batch %d of %d^3, lr %.2e,"
                        + " seed %d, %d threads, %,d parameters%s, validation %s%n",
                dataset.description(), lossFn.name(), epochs, stepsPerEpoch, batch, patch, lr, seed,
                Parallel.threads(), model.parameterCount(), deepSupervision ? ", deep supervision over " + scales + " scales" : "",
                (window == 0 ? "whole volume" : "sliding window " + window + "^3, stride " + Math.max(1, window / 2))
                        + (postprocess == Postprocess.none ? "" : ", post-processing " + postprocess));
        long voxelsPerStep = (long) batch * patch * patch * patch;
        long start = System.nanoTime();
        history.write(csv);
        writeVolumeNifti(dataset);
        for (int epoch = firstEpoch; epoch < epochs; epoch++) {
            long t0 = System.nanoTime();
            float epochLr = schedule.lr(epoch);
            lossFn.onEpoch(epoch, epochs);
            opt.lr(epochLr);
            model.train();
            double lossSum = 0;
            ProgressBar bar = noProgress ? null : new ProgressBarBuilder()
                    .setTaskName(String.format(Locale.ROOT, "epoch %d/%d", epoch + 1, epochs))
                    .setInitialMax(stepsPerEpoch).setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250)
                    .setConsumer(new ConsoleProgressBarConsumer(errStream)).build();
            try {
                sampler.reseed(epochSeed(samplerSeed, epoch));
                for (int step = 0; step < stepsPerEpoch; step++) {
                    PatchSampler.Batch b = sampler.next(batch);
                    opt.zeroGrad();
                    Var l = deepSupervision
                            ? WeightedSumLoss.deepSupervision(lossFn, dsWeights,
                                    model.forwardDeepSupervision(Var.constant(b.images())).toArray(Var[]::new),
                                    UNet3d.downsampleTargets(b.labels(), scales))
                            : lossFn.forward(model.forward(Var.constant(b.images())), b.labels());
                    float value = l.item();
                    if (!Float.isFinite(value)) {
                        errStream.printf("segloss train: loss is %s at epoch %d step %d; stopping%n", value, epoch + 1, step + 1);
                        return 1;
                    }
                    l.backward();
                    opt.step();
                    lossSum += value;
                    if (bar != null) {
                        double secs = (System.nanoTime() - t0) / 1e9;
                        bar.step();
                        bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f  %.2f Mvox/s", lossSum / (step + 1),
                                voxelsPerStep * (step + 1) / secs / 1e6));
                    }
                }
            } finally {
                if (bar != null) bar.close();
            }
            double meanLoss = lossSum / stepsPerEpoch;
            Validation v = validate(model, dataset.validation(), window, dataset.spacing(), postprocess);
            double seconds = (System.nanoTime() - t0) / 1e9;
            history.add(epoch + 1, meanLoss, epochLr, v.perClass(), seconds);
            outStream.printf(Locale.ROOT, "epoch %d/%d  loss %.4f  lr %.2e  val Dice %s  mean %.3f  (%.1f s)%n",
                    epoch + 1, epochs, meanLoss, epochLr, diceText(classNames, v.dice()), TrainingHistory.foregroundMean(v.dice()), seconds);
            outStream.print(validationTable(classNames, v.perClass()));
            history.write(csv);
            Checkpoint.save(ckpt, model, opt, epoch + 1, config());
            pictures(history, dataset, v.predictions());
            writePredictionNifti(dataset, v.predictions().get(0));
            if (stopAfterEpoch != null && epoch + 1 == stopAfterEpoch && epoch + 1 < epochs) {
                outStream.printf(Locale.ROOT, "stopped after epoch %d of %d (--stop-after-epoch); continue with --resume%n", epoch + 1, epochs);
                return 0;
            }
        }
        outStream.printf(Locale.ROOT, "done in %.1f s; in %s: %s, %s, %s, %s, %s (with %s, %s)%n", (System.nanoTime() - start) / 1e9,
                out, METRICS_FILE, CHECKPOINT_FILE, CURVES_FILE, OVERLAY_FILE, PREDICTION_NIFTI, IMAGE_NIFTI, TRUTH_NIFTI);
        return 0;
    }

    private static void check(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }

    /**
     * The sampler's seed for an epoch: a SplitMix64 mix of the run's sampler seed and the epoch, so
     * every epoch draws from its own stream and a resumed run continues exactly.
     */
    static long epochSeed(long samplerSeed, int epoch) {
        long z = samplerSeed + 0x9E3779B97F4A7C15L * (epoch + 1L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * The validation of one epoch: {@code perClass[m][c]} is metric m of {@link TrainingHistory#METRICS}
     * for class c, the mean over the validation volumes; {@code predictions} are the argmax maps.
     */
    record Validation(double[][] perClass, List<LabelTensor> predictions) {
        double[] dice() { return perClass[0]; }
    }

    /**
     * Predicts every validation volume ({@link SlidingWindow}, eval mode; then {@code post}) and averages
     * Dice, IoU, HD95 and ASSD ({@link SegmentationMetrics}, millimetres with the data set's spacing)
     * per class over the volumes, with the rules of {@link MetricsReport#mean}: a volume where the
     * class is in neither prediction nor truth is left out of that class's means (NaN, printed
     * "nan", when it is absent everywhere); a volume where it is in exactly one of them counts as
     * Dice 0 and distance +Infinity, which makes the distance mean infinite (printed "inf": the net
     * missed or invented the structure somewhere, which a finite mean would hide).
     */
    static Validation validate(UNet3d model, List<LabeledVolume> volumes, int window, double[] spacing, Postprocess post) {
        int classes = model.classes();
        double[][] sum = new double[TrainingHistory.METRICS.length][classes];
        int[] counted = new int[classes];
        List<LabelTensor> predictions = new ArrayList<>();
        model.eval();
        try {
            for (LabeledVolume v : volumes) {
                LabelTensor pred = SlidingWindow.predict(model, v.image(), window);
                if (post == Postprocess.largest_component) pred = LargestComponent.apply(pred, classes);
                predictions.add(pred);
                MetricsReport r = SegmentationMetrics.evaluate(pred, v.labels(), classes, spacing);
                for (int c = 0; c < classes; c++) {
                    ClassMetrics m = r.row(c);
                    if (m.emptiness() == ClassMetrics.Emptiness.BOTH_EMPTY) continue;
                    counted[c]++;
                    sum[0][c] += m.dice();
                    sum[1][c] += m.iou();
                    sum[2][c] += m.hd95();
                    sum[3][c] += m.assd();
                }
            }
        } finally {
            model.train();
        }
        for (double[] row : sum) for (int c = 0; c < classes; c++) row[c] = counted[c] == 0 ? Double.NaN : row[c] / counted[c];
        return new Validation(sum, List.copyOf(predictions));
    }

    /** "organ 0.878  structure 0.945 ..." for the foreground classes. */
    static String diceText(String[] classNames, double[] dice) {
        StringBuilder b = new StringBuilder();
        for (int c = 1; c < dice.length; c++) b.append(c > 1 ? "  " : "").append(classNames[c]).append(String.format(Locale.ROOT, " %.3f", dice[c]));
        return b.toString();
    }

    /** The validation table of an epoch: one row per foreground class, Dice, IoU, HD95 and ASSD (mm). */
    static String validationTable(String[] classNames, double[][] perClass) {
        int width = 5;
        for (int c = 1; c < classNames.length; c++) width = Math.max(width, classNames[c].length());
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "  %-" + width + "s  %6s  %6s  %9s  %9s%n", "class", "Dice", "IoU",
                "HD95 mm", "ASSD mm"));
        for (int c = 1; c < classNames.length; c++) {
            b.append(String.format(Locale.ROOT, "  %-" + width + "s  %6.3f  %6.3f  %9s  %9s%n", classNames[c], perClass[0][c], perClass[1][c],
                    mm(perClass[2][c]), mm(perClass[3][c])));
        }
        return b.toString();
    }

    private static String mm(double v) {
        return Double.isInfinite(v) ? "inf" : String.format(Locale.ROOT, "%.2f", v);
    }

    /**
     * The first validation volume's image (float32) and truth (uint8 labels) as NIfTI-1 in the
     * data set's space (its affine and xform code), once per run; with the prediction of
     * {@link #writePredictionNifti} a viewer can overlay the three.
     */
    void writeVolumeNifti(SegmentationDataset dataset) throws IOException {
        LabeledVolume v = dataset.validation().get(0);
        int[] dhw = v.labels().shape().dims();
        Nifti.write(out.resolve(IMAGE_NIFTI), niftiOf(dataset, NiftiImage.of(v.image().reshape(dhw), NiftiImage.Datatype.FLOAT32,
                dataset.spacing(), dataset.validationAffines().get(0)), "image"));
        Nifti.write(out.resolve(TRUTH_NIFTI), niftiOf(dataset, NiftiImage.of(v.labels(), NiftiImage.Datatype.UINT8, dataset.spacing(),
                dataset.validationAffines().get(0)), "truth"));
    }

    /** The prediction for the first validation volume (uint8 labels) as NIfTI-1, like {@link #writeVolumeNifti}. */
    void writePredictionNifti(SegmentationDataset dataset, LabelTensor prediction) throws IOException {
        Nifti.write(out.resolve(PREDICTION_NIFTI), niftiOf(dataset, NiftiImage.of(prediction, NiftiImage.Datatype.UINT8, dataset.spacing(),
                dataset.validationAffines().get(0)), "prediction"));
    }

    private static NiftiImage niftiOf(SegmentationDataset dataset, NiftiImage image, String what) {
        return image.withXformCode(dataset.xformCode()).withDescription("segloss " + dataset.name() + " validation " + what);
    }

    /**
     * The pictures of the run so far: the loss and Dice curves, and the axial and coronal slices of
     * the first validation volume with truth and prediction. Pictures are a by-product: a failure
     * to draw them (e.g. a machine without fonts) is reported and training goes on.
     */
    void pictures(TrainingHistory history, SegmentationDataset dataset, List<LabelTensor> predictions) {
        String[] names = dataset.classNames();
        try {
            TrainingCurves.write(out.resolve(CURVES_FILE), "segloss train: " + dataset.name() + ", loss " + lossName, history.epochs(),
                    history.loss(), Arrays.copyOfRange(names, 1, names.length), history.metric("dice"));
            LabeledVolume v = dataset.validation().get(0);
            SliceOverlay.write(out.resolve(OVERLAY_FILE), "validation volume 1 after epoch " + history.size(), v, predictions.get(0), names,
                    dataset.spacing());
        } catch (IOException | RuntimeException | Error e) {
            errStream.println("segloss train: could not draw the pictures (" + e + "); training goes on");
        }
    }

    private static int or(Integer v, int dflt) {
        return v == null ? dflt : v;
    }

    /** Number of classes (with the background) of a --data name; IllegalArgumentException naming the valid ones. */
    static int classesOf(String data) {
        return switch (data) {
            case "phantom" -> Phantoms.CLASSES;
            case "mni" -> MniAtlas.CLASSES;
            default -> throw new IllegalArgumentException("unknown --data '" + data + "'; valid: phantom, mni");
        };
    }

    /**
     * The data set of {@code --data}, checking that only its own options were given (an option of
     * the other data set would be silently ignored otherwise).
     *
     * @throws FileNotFoundException for mni when the templates are absent (the message gives the install command)
     */
    SegmentationDataset dataset() throws IOException {
        if ("mni".equals(data)) {
            check(volumeSize == null && trainVolumes == null && valVolumes == null,
                    "--volume-size, --train-volumes and --val-volumes are options of --data phantom, not mni");
            int down = or(mniDownsample, DEFAULT_MNI_DOWNSAMPLE);
            check(down == 1 || down == 2, "--mni-downsample must be 1 or 2, got " + down);
            MniAtlas.Split s = MniAtlas.load(mniDir, down);
            String[] names = s.classNames().toArray(String[]::new);
            return new SegmentationDataset("mni", List.of(s.train()), List.of(s.validation()), names, s.spacing(),
                    List.<double[][]>of(s.validationAffine()), NiftiImage.XFORM_MNI_152,
                    String.format(Locale.ROOT, "mni: Colin27 T1 + AAL deep grey matter, %d mm, left hemisphere %s for training,"
                            + " mirrored right for validation", down, s.train().labels().shape()));
        }
        check(mniDownsample == null && MniAtlas.DEFAULT_DIR.equals(mniDir), "--mni-dir and --mni-downsample are options of --data mni, not "
                + data);
        int size = or(volumeSize, DEFAULT_VOLUME_SIZE), nTrain = or(trainVolumes, DEFAULT_TRAIN_VOLUMES), nVal = or(valVolumes,
                DEFAULT_VAL_VOLUMES);
        check(size >= Phantoms.MIN_SIZE && size <= Phantoms.MAX_SIZE, "--volume-size must be in [" + Phantoms.MIN_SIZE + ", "
                + Phantoms.MAX_SIZE + "], got " + size);
        check(nTrain > 0 && nVal > 0, "--train-volumes and --val-volumes must be > 0, got " + nTrain + " and " + nVal);
        return SegmentationDataset.phantoms(seed, size, nTrain, nVal);
    }

    /** The options that determine a run, stored in the checkpoint and compared on {@code --resume}. */
    Map<String, String> config() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "segloss-train-1");
        m.put("data", data);
        m.put("loss", lossName);
        m.put("epochs", Integer.toString(epochs));
        m.put("steps-per-epoch", Integer.toString(stepsPerEpoch));
        m.put("patch", Integer.toString(patch));
        m.put("batch", Integer.toString(batch));
        m.put("foreground-share", Double.toString(foregroundShare));
        m.put("lr", Float.toString(lr));
        m.put("seed", Long.toString(seed));
        if ("mni".equals(data)) {
            m.put("mni-downsample", Integer.toString(or(mniDownsample, DEFAULT_MNI_DOWNSAMPLE)));
        } else {
            m.put("volume-size", Integer.toString(or(volumeSize, DEFAULT_VOLUME_SIZE)));
            m.put("train-volumes", Integer.toString(or(trainVolumes, DEFAULT_TRAIN_VOLUMES)));
            m.put("val-volumes", Integer.toString(or(valVolumes, DEFAULT_VAL_VOLUMES)));
        }
        m.put("val-window", valWindow == null ? "" : Integer.toString(valWindow));
        m.put("depth", Integer.toString(depth));
        m.put("base-channels", Integer.toString(baseChannels));
        m.put("deep-supervision", Boolean.toString(deepSupervision));
        m.put("postprocess", postprocess.name());
        return m;
    }

    /** "--lr: 0.003 in the checkpoint, 0.001 now; ..." or null when both maps agree. */
    static String configMismatch(Map<String, String> stored, Map<String, String> now) {
        List<String> diffs = new ArrayList<>();
        java.util.Set<String> keys = new java.util.LinkedHashSet<>(now.keySet());
        keys.addAll(stored.keySet());
        for (String k : keys) {
            String a = stored.get(k), b = now.get(k);
            if (!java.util.Objects.equals(a, b)) diffs.add("--" + k + ": " + show(a) + " in the checkpoint, " + show(b) + " now");
        }
        return diffs.isEmpty() ? null : String.join("; ", diffs);
    }

    private static String show(String v) {
        return v == null ? "(absent)" : v.isEmpty() ? "(default)" : v;
    }
}
