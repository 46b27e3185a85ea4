package org.segloss.cli;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.segloss.examples.data.DatasetFolder;
import org.segloss.examples.data.FolderTrainingData;
import org.segloss.examples.train.EpochResult;
import org.segloss.examples.train.Postprocess;
import org.segloss.examples.train.RunConfig;
import org.segloss.examples.train.RunConfig.LossSpec;
import org.segloss.examples.train.RunConfig.ModelSpec;
import org.segloss.examples.train.RunConfig.SamplerSpec;
import org.segloss.examples.train.RunConfig.TrainingSchedule;
import org.segloss.examples.train.RunConfig.ValidationSpec;
import org.segloss.examples.train.RunOutputs;
import org.segloss.examples.train.RunResult;
import org.segloss.examples.train.RunSetupException;
import org.segloss.examples.train.Trainer;
import org.segloss.examples.train.TrainingListener;
import org.segloss.examples.train.Validation;
import org.segloss.examples.unet.MniAtlas;
import org.segloss.examples.unet.Phantoms;
import org.segloss.examples.unet.SegmentationDataset;
import org.segloss.examples.unet.TrainingData;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code segloss train}: option parsing, one call of the library's {@link Trainer} and printing.
 * The run itself (the U-Net, AdamW with the polynomial schedule, patches, validation, checkpoints,
 * pictures, NIfTI output, resume) is {@code org.segloss.examples.train}; spec/training.md
 * describes it.
 *
 * <p>Data ({@code --data}): {@code phantom}, the built-in synthetic phantoms
 * ({@link SegmentationDataset#phantoms}: {@code --train-volumes} from seeds {@code seed + i},
 * {@code --val-volumes} from {@code seed + 1000 + j}, side {@code --volume-size}); {@code phantom-hard},
 * the same with the lesions and the noise of {@link Phantoms.Preset#HARD}; or {@code mni},
 * the Colin27 T1 with the AAL deep grey-matter structures ({@link SegmentationDataset#mni}: the
 * left hemisphere trains, the mirrored right one validates); or a data set folder DIR in the
 * Medical Segmentation Decathlon or nnU-Net v2 raw layout ({@link FolderTrainingData}: fold
 * {@code --fold}, nnU-Net's preprocessing at {@code --spacing} or the median spacing, stored in the
 * checkpoint for {@code segloss predict}). An option of another data set is an error, not ignored.
 *
 * <p>Loss ({@code --loss}, {@code --loss-option}): any name of {@link LossCatalog} with its typed
 * options; its canonical form (every option in force) identifies it in the checkpoint.
 *
 * <p>Errors in the options, an unusable {@code --out} and a {@code --resume} that does not fit the
 * checkpoint print {@code segloss train: ...} and exit 2; a loss that stops being finite prints
 * where and exits 1.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Trains the tiny 3-D U-Net (phantoms, the MNI atlas or a data set folder), validates every epoch (Dice, IoU, HD95, ASSD) and"
                + " writes metrics.csv, a checkpoint, PNGs and the validation prediction as NIfTI into --out.")
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--data", description = "Data set: phantom (built-in synthetic phantoms), phantom-hard (the preset with"
            + " a cluster of small lesions of varied size, about 1 : 8,000 of the volume, lower contrast, less noise), mni"
            + " (Colin27 T1 + AAL deep grey matter, Debian's mricron-data), or DIR, a Medical Segmentation Decathlon or nnU-Net v2"
            + " raw folder (dataset.json, imagesTr/, labelsTr/). Default: ${DEFAULT-VALUE}.")
    String data = "phantom";

    @Option(names = "--loss", description = "Loss NAME or 'NAME:KEY=VALUE,...'; every name and option: segloss losses."
            + " Default: ${DEFAULT-VALUE}.")
    String loss = LossCatalog.DEFAULT;

    @Option(names = "--loss-option", paramLabel = "KEY=VALUE", description = "An option of the loss, repeatable (see segloss losses).")
    List<String> lossOptions = new ArrayList<>();

    @Option(names = "--seed", description = "Seed of data, sampler and initialisation (default: ${DEFAULT-VALUE}).")
    long seed = 2026;

    @Mixin
    TrainingOptions training = new TrainingOptions();

    @Mixin
    DataOptions dataOptions = new DataOptions();

    @Mixin
    ExecutionOptions execution = new ExecutionOptions();

    @Option(names = "--out", description = "Output directory: metrics.csv, checkpoint, PNGs, NIfTI (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("runs", "train");

    @Option(names = "--postprocess", description = "Validation post-processing: none or largest_component (keep each class's largest"
            + " 6-connected component; right for one-piece structures such as the MNI nuclei, wrong for the phantoms' several lesions)."
            + " Default: ${DEFAULT-VALUE}.")
    Postprocess postprocess = Postprocess.none;

    @Option(names = "--deep-supervision", description = "Train with deep-supervision heads, nnU-Net's weights (1, 1/2, ..., 0,"
            + " normalised; the lowest resolution gets 0, so it needs --depth >= 4).")
    boolean deepSupervision;

    @Option(names = "--resume", description = "Continue the run in --out from its checkpoint (same options required).")
    boolean resume;

    @Option(names = "--stop-after-epoch", description = "Stop after this epoch (checkpoint written; continue with --resume).")
    Integer stopAfterEpoch;

    PrintStream outStream = System.out;
    PrintStream errStream = System.err;

    @Override
    public Integer call() throws IOException {
        RunConfig config;
        Trainer trainer;
        try {
            LossCatalog.Built lossFn = LossCatalog.build(LossCatalog.parse(loss, lossOptions), classesOf(data));
            TrainingSchedule schedule = training.schedule();
            SamplerSpec sampler = training.sampler();
            ModelSpec model = training.model(deepSupervision);
            ValidationSpec validation = training.validation(postprocess);
            RunConfig.checkSizes(model, sampler, validation, execution.threads);
            config = new RunConfig(dataset(), model, new LossSpec(lossFn.canonical(), lossFn), schedule, sampler, validation, seed,
                    execution.threads, out);
            trainer = new Trainer(config).listener(new Printer(config));
            if (stopAfterEpoch != null) trainer.stopAfterEpoch(stopAfterEpoch);
        } catch (IllegalArgumentException | FileNotFoundException e) {
            errStream.println("segloss train: " + e.getMessage());
            return 2;
        }
        RunResult result;
        try {
            result = resume ? trainer.resume() : trainer.run();
        } catch (RunSetupException e) {
            errStream.println("segloss train: " + e.getMessage());
            return 2;
        }
        Path ckpt = out.resolve(RunOutputs.CHECKPOINT_FILE);
        switch (result.status()) {
            case ALREADY_DONE -> outStream.printf(Locale.ROOT, "%s: the run finished all %d epochs; nothing to do%n", ckpt, training.epochs);
            case DIVERGED -> {
                RunResult.Divergence d = result.divergence();
                if (d.cause() == RunResult.Divergence.Cause.LOSS) {
                    errStream.printf("segloss train: loss is %s at epoch %d step %d; stopping%n", d.value(), d.epoch(), d.step());
                } else {
                    errStream.printf("segloss train: the network's output is not finite at epoch %d step %d; stopping%n", d.epoch(),
                            d.step());
                }
                return 1;
            }
            case STOPPED -> outStream.printf(Locale.ROOT, "stopped after epoch %d of %d (--stop-after-epoch); continue with --resume%n",
                    result.last().epoch(), training.epochs);
            case COMPLETED -> outStream.printf(Locale.ROOT, "done in %.1f s; in %s: %s, %s, %s, %s, %s (with %s, %s)%n", result.seconds(),
                    out, RunOutputs.METRICS_FILE, RunOutputs.CHECKPOINT_FILE, RunOutputs.CURVES_FILE, RunOutputs.OVERLAY_FILE,
                    RunOutputs.PREDICTION_NIFTI, RunOutputs.IMAGE_NIFTI, RunOutputs.TRUTH_NIFTI);
        }
        return 0;
    }

    /** The sampler's seed for an epoch ({@link Trainer#epochSeed}). */
    static long epochSeed(long samplerSeed, int epoch) {
        return Trainer.epochSeed(samplerSeed, epoch);
    }

    /** What the command prints while the trainer runs: the header, a progress bar per epoch, a line and a table per epoch. */
    private final class Printer implements TrainingListener {
        private final RunConfig config;
        private ProgressBar bar;

        Printer(RunConfig config) { this.config = config; }

        @Override
        public void onReplacing(Path folder) {
            outStream.println("replacing the earlier run in " + folder + " (continue a run with --resume)");
        }

        @Override
        public void onResuming(Path checkpoint, int epoch, int total) {
            outStream.printf(Locale.ROOT, "resuming from %s after epoch %d of %d%n", checkpoint, epoch, total);
        }

        @Override
        public void onStart(RunStart s) {
            int window = config.validationWindow();
            outStream.printf(Locale.ROOT, "segloss train: %s, loss %s, %d epochs x %d steps, batch %d of %d^3, lr %.2e,"
                            + " seed %d, %d threads, %,d parameters%s, validation %s%n",
                    config.data().description(), config.loss().loss().name(), training.epochs, training.stepsPerEpoch, training.batch, training.patch, training.lr, seed,
                    s.threads(), s.parameters(), deepSupervision ? ", deep supervision over " + s.scales() + " scales" : "",
                    (window == 0 ? "whole volume" : "sliding window " + window + "^3, stride " + Math.max(1, window / 2))
                            + (postprocess == Postprocess.none ? "" : ", post-processing " + postprocess));
        }

        @Override
        public void onEpochStart(int epoch, int total, int steps) {
            if (execution.noProgress) return;
            bar = new ProgressBarBuilder().setTaskName(String.format(Locale.ROOT, "epoch %d/%d", epoch + 1, total))
                    .setInitialMax(steps).setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250)
                    .setConsumer(new ConsoleProgressBarConsumer(errStream)).build();
        }

        @Override
        public void onStep(int epoch, int step, double meanLoss, double voxelsPerSecond) {
            if (bar == null) return;
            bar.step();
            bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f  %.2f Mvox/s", meanLoss, voxelsPerSecond / 1e6));
        }

        @Override
        public void onStepsDone(int epoch) {
            if (bar != null) bar.close();
            bar = null;
        }

        @Override
        public void onEpochEnd(EpochResult r) {
            String[] classNames = config.data().classNames();
            Validation v = r.validation();
            outStream.printf(Locale.ROOT, "epoch %d/%d  loss %.4f  lr %.2e  val Dice %s  mean %.3f  (%.1f s)%n",
                    r.epoch(), r.epochs(), r.loss(), r.lr(), diceText(classNames, v.dice()), v.meanForegroundDice(), r.seconds());
            outStream.print(validationTable(classNames, v.perClass()));
        }

        @Override
        public void onWarning(String message) {
            errStream.println("segloss train: " + message);
        }
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

    private static void check(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }

    /** Number of classes (with the background) of a --data name; IllegalArgumentException naming the valid ones. */
    static int classesOf(String data) throws IOException {
        return switch (data) {
            case "phantom", "phantom-hard" -> Phantoms.CLASSES;
            case "mni" -> MniAtlas.CLASSES;
            default -> {
                if (!Files.isDirectory(Path.of(data))) {
                    throw new IllegalArgumentException("unknown --data '" + data + "'; valid: phantom, mni, phantom-hard, or a data set"
                            + " folder"
                            + " holding dataset.json");
                }
                yield DatasetFolder.open(Path.of(data)).classes();
            }
        };
    }

    /**
     * The data set of {@code --data}, checking that only its own options were given (an option of
     * the other data set would be silently ignored otherwise).
     *
     * @throws FileNotFoundException for mni when the templates are absent (the message gives the install command)
     */
    TrainingData dataset() throws IOException {
        Phantoms.Preset preset = "phantom".equals(data) ? Phantoms.Preset.DEFAULT
                : Phantoms.Preset.HARD.dataName().equals(data) ? Phantoms.Preset.HARD : null;
        boolean folder = !"mni".equals(data) && preset == null;
        check(folder || !dataOptions.folderOptionsGiven(), "--fold and --spacing are options of --data DIR, not " + data);
        if (folder) {
            check(!dataOptions.phantomOptionsGiven() && !dataOptions.mniOptionsGiven(), "--volume-size, --train-volumes, --val-volumes,"
                    + " --mni-dir and --mni-downsample are options of --data phantom / mni, not of a data set folder");
            return dataOptions.folder(Path.of(data), training);
        }
        if ("mni".equals(data)) {
            check(!dataOptions.phantomOptionsGiven(),
                    "--volume-size, --train-volumes and --val-volumes are options of --data phantom, not mni");
            int down = dataOptions.mniDownsampleOrDefault();
            check(down == 1 || down == 2, "--mni-downsample must be 1 or 2, got " + down);
            return dataOptions.mni();
        }
        check(!dataOptions.mniOptionsGiven(), "--mni-dir and --mni-downsample are options of --data mni, not " + data);
        int size = dataOptions.volumeSizeOrDefault(), nTrain = dataOptions.trainVolumesOrDefault(), nVal = dataOptions.valVolumesOrDefault();
        check(size >= Phantoms.MIN_SIZE && size <= Phantoms.MAX_SIZE, "--volume-size must be in [" + Phantoms.MIN_SIZE + ", "
                + Phantoms.MAX_SIZE + "], got " + size);
        check(nTrain > 0 && nVal > 0, "--train-volumes and --val-volumes must be > 0, got " + nTrain + " and " + nVal);
        return dataOptions.phantoms(seed, preset);
    }
}
