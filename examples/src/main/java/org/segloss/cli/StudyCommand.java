package org.segloss.cli;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.segloss.examples.data.DatasetFolder;
import org.segloss.examples.data.FolderTrainingData;
import org.segloss.examples.study.FineTuning;
import org.segloss.examples.study.RunKey;
import org.segloss.examples.study.RunResult;
import org.segloss.examples.study.Shard;
import org.segloss.examples.study.StudyPlan;
import org.segloss.examples.study.StudyPlots;
import org.segloss.examples.study.StudyReport;
import org.segloss.examples.study.StudyResults;
import org.segloss.examples.study.StudyRunner;
import org.segloss.examples.train.RunConfig;
import org.segloss.examples.train.RunConfig.LossSpec;
import org.segloss.examples.train.RunConfig.ModelSpec;
import org.segloss.examples.train.RunConfig.SamplerSpec;
import org.segloss.examples.train.RunConfig.ValidationSpec;
import org.segloss.examples.unet.MniAtlas;
import org.segloss.examples.unet.Phantoms;
import org.segloss.examples.unet.TrainingData;
import org.segloss.util.OutputFolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code segloss study}: paired training runs of several losses on several data sets and seeds,
 * then {@code results.csv}, {@code report.md} and the charts; {@code segloss study report DIR}
 * rewrites those from whatever runs have finished. The protocol, the statistics and what a study
 * can and cannot show: spec/study.md. The pieces are {@code org.segloss.examples.study}; each run
 * is the library's {@link org.segloss.examples.train.Trainer}.
 *
 * <p>Errors in the options print {@code segloss study: --opt VALUE: why} and exit 2 before any run;
 * a diverged or failed run is a result (the study goes on, exit 0).
 */
@Command(name = "study", mixinStandardHelpOptions = true, subcommands = {StudyCommand.Report.class},
        description = "Trains every loss of --losses on every data set of --data (phantom, phantom-hard, mni, or MSD / nnU-Net v2"
                + " folders) with --seeds seeds (paired: a seed gives every loss the same weights and patches), then writes results.csv, report.md (tables, paired tests, the papers' claims) and PNGs"
                + " into --out. --shard K/N runs the K-th of N shares (0-based; Slurm array, Kubernetes Indexed Job, GNU parallel)."
                + " 'segloss study report DIR' rewrites the outputs from the finished runs.")
final class StudyCommand implements Callable<Integer> {
    /** The default losses: the baseline, every loss of the claims the report checks, and cross-entropy. */
    static final List<String> DEFAULT_LOSSES = List.of("dice-ce", "dice", "cross-entropy", "focal-tversky", "exp-log", "generalized-dice",
            "boundary", "lovasz-softmax");
    static final List<String> DATA = List.of("phantom", "phantom-hard", "mni");

    @Option(names = "--data", description = "Comma-separated data sets: phantom, phantom-hard, mni, or DIR, a Medical Segmentation"
            + " Decathlon or nnU-Net v2 raw folder (named by its folder name in results.csv and the run folders). Default:"
            + " ${DEFAULT-VALUE}.")
    String data = "phantom,phantom-hard";

    @Option(names = "--losses", description = "Comma-separated losses (NAME or NAME:KEY=VALUE,... as in segloss losses; an item"
            + " KEY=VALUE without ':' continues the options of the loss before it), or 'all': every loss of segloss losses but"
            + " overlap and focal-positive (terms of left-atrium that do not train alone); lovasz-softmax always fine-tunes after"
            + " cross-entropy (first half of the epochs cross-entropy)."
            + " Default: dice-ce,dice,cross-entropy,focal-tversky,exp-log,generalized-dice,boundary,lovasz-softmax.")
    String losses = String.join(",", DEFAULT_LOSSES);

    @Option(names = "--seeds", description = "Seeds per (data, loss): --seed, --seed + 1, ... (default: ${DEFAULT-VALUE}).")
    int seeds = 2;

    @Option(names = "--seed", description = "First seed (default: ${DEFAULT-VALUE}, that of segloss train).")
    long seed = 2026;

    @Mixin
    TrainingOptions training = new TrainingOptions();

    @Mixin
    DataOptions dataOptions = new DataOptions();

    @Mixin
    ExecutionOptions execution = new ExecutionOptions();

    @Option(names = "--out", description = "The study's folder (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("runs", "study");

    @Option(names = "--jobs", description = "Runs trained at once, each with --threads kernel threads (default: the cores divided by"
            + " --threads, at most one run per GiB of the JVM's heap; with neither option one 1-thread run per core). A study's small"
            + " networks do not keep two cores busy with one run; the metrics do not depend on --jobs or --threads.")
    Integer jobs;

    @Option(names = "--shard", paramLabel = "K/N", description = "Run only the K-th of N shares of the run list, 0 <= K < N (Slurm:"
            + " --array=0-(N-1) and $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT; Kubernetes: $JOB_COMPLETION_INDEX/N).")
    String shard;

    PrintStream outStream = System.out;
    PrintStream errStream = System.err;
    /** The losses by name; tests replace it to plant a diverging or failing loss. */
    StudyRunner.LossSource lossSource = (spec, classes) -> studyLoss(spec, classes, training.epochs);
    /** The data set folders of --data by data name (set by {@link #call}). */
    private Map<String, Path> folders = Map.of();

    static LossSpec catalogLoss(String spec, int classes) {
        LossCatalog.Built b = LossCatalog.build(LossCatalog.parse(spec, List.of()), classes);
        return new LossSpec(b.canonical(), b);
    }

    /**
     * Catalogue losses that {@code all} leaves out, with the reason: the two terms of the
     * left-atrium composite that do not train a segmentation alone (the catalogue's notes say so;
     * {@code left-atrium}, the composite, is in).
     */
    static final Map<String, String> NOT_IN_ALL = notInAll();

    private static Map<String, String> notInAll() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("overlap", "a regulariser: the labels enter only through ignore-index, so alone it learns nothing about them; it trains"
                + " inside left-atrium");
        m.put("focal-positive", "supervises the foreground voxels only, so alone it over-segments; it trains inside left-atrium");
        return java.util.Collections.unmodifiableMap(m);
    }

    /**
     * {@code --losses all}: every loss of {@code segloss losses} in its order except
     * {@link #NOT_IN_ALL} — the losses that train from scratch, the compounds (dice-ce, boundary:
     * generalised Dice + boundary under the paper's schedule, left-atrium) and lovasz-softmax, which
     * runs as fine-tuning after cross-entropy ({@link #FINE_TUNED}).
     */
    static List<String> allLosses() {
        return LossCatalog.names().stream().filter(n -> !NOT_IN_ALL.containsKey(n)).toList();
    }

    /** The losses the papers use to fine-tune after another one: catalogue name → the loss trained first. */
    static final Map<String, String> FINE_TUNED = Map.of("lovasz-softmax", "cross-entropy");

    /**
     * A loss of the study: the catalogue's, except a loss of {@link #FINE_TUNED} (with any options),
     * which runs the fine-tuning protocol ({@link FineTuning}: its start loss with the catalogue's
     * defaults for the first half of the epochs, then it).
     */
    static LossSpec studyLoss(String spec, int classes, int epochs) {
        LossSpec loss = catalogLoss(spec, classes);
        String start = FINE_TUNED.get(LossCatalog.parse(spec, List.of()).name());
        return start == null ? loss : FineTuning.of(catalogLoss(start, classes), loss, epochs);
    }

    @Override
    public Integer call() throws IOException {
        StudyPlan plan;
        Shard share;
        StudyRunner.Settings settings;
        try {
            share = shard == null ? Shard.ALL : Shard.parse(shard);
            folders = dataFolders(data);
            List<String> dataList = dataList(data, folders);
            List<String> lossList = lossList(losses);
            check(seeds >= 1, "--seeds " + seeds + ": must be >= 1");
            check(!folders.isEmpty() || !dataOptions.folderOptionsGiven(), "--fold and --spacing are options of --data DIR (a data set"
                    + " folder), not of --data " + data);
            boolean phantoms = dataList.contains("phantom") || dataList.contains("phantom-hard"), mni = dataList.contains("mni");
            check(phantoms || !dataOptions.phantomOptionsGiven(),
                    "--volume-size, --train-volumes and --val-volumes are options of the phantom data sets, not of --data " + data);
            check(mni || !dataOptions.mniOptionsGiven(), "--mni-dir and --mni-downsample are options of"
                    + " --data mni, not of --data " + data);
            int size = dataOptions.volumeSizeOrDefault(), down = dataOptions.mniDownsampleOrDefault();
            check(size >= Phantoms.MIN_SIZE && size <= Phantoms.MAX_SIZE, "--volume-size " + size + ": must be in [" + Phantoms.MIN_SIZE
                    + ", " + Phantoms.MAX_SIZE + "]");
            check(dataOptions.trainVolumesOrDefault() > 0 && dataOptions.valVolumesOrDefault() > 0,
                    "--train-volumes and --val-volumes must be > 0");
            check(down == 1 || down == 2, "--mni-downsample " + down + ": must be 1 or 2");
            ModelSpec model = training.model(false);
            SamplerSpec sampler = training.sampler();
            ValidationSpec validation = training.validation(org.segloss.examples.train.Postprocess.none);
            RunConfig.checkSizes(model, sampler, validation, execution.threads);
            check(jobs == null || jobs >= 1, "--jobs " + jobs + ": must be >= 1");
            int[] parallelism = parallelism(jobs, execution.threads, Runtime.getRuntime().availableProcessors(),
                    Runtime.getRuntime().maxMemory());
            settings = new StudyRunner.Settings(model, training.schedule(), sampler, validation, parallelism[1], parallelism[0]);
            // every loss must build for every data set before the first run
            Map<String, String> canonical = new HashMap<>();
            for (String d : dataList) {
                for (String l : lossList) {
                    String id;
                    try {
                        id = lossSource.build(l, classesOf(d, folders)).id();
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("--losses '" + l + "': " + e.getMessage(), e);
                    }
                    String before = canonical.put(d + "\u0000" + id, l);
                    check(before == null, "--losses lists one loss twice: '" + before + "' and '" + l + "' are both " + id);
                }
                if (d.equals("mni")) dataOptions.mni();      // the atlas is there (message with the install command)
            }
            for (Map.Entry<String, Path> f : folders.entrySet()) {
                try {      // the fold exists (cheap); the volumes are read when the folder's first run starts
                    org.segloss.examples.data.Folds.select(f.getValue(), DatasetFolder.open(f.getValue()).trainingIds(),
                            dataOptions.foldOrDefault());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--fold '" + dataOptions.foldOrDefault() + "' of --data folder " + f.getValue()
                            + ": " + e.getMessage(), e);
                }
            }
            if (dataOptions.spacing != null) {
                try {
                    org.segloss.examples.data.Preprocessing.parseSpacingXyz(dataOptions.spacing);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--spacing '" + dataOptions.spacing + "': " + e.getMessage(), e);
                }
            }
            plan = new StudyPlan(dataList, lossList, StudyPlan.seeds(seed, seeds), settings(dataList, lossList, size, down));
            String why = OutputFolder.prepare(out);
            check(why == null, "--out " + out + ": " + why);
        } catch (IllegalArgumentException | FileNotFoundException e) {
            errStream.println("segloss study: " + e.getMessage());
            return 2;
        }
        StudyRunner runner = new StudyRunner(plan, out, share, settings, this::dataset, lossSource);
        Progress progress = new Progress(plan, share, settings);
        runner.listener(progress);
        StudyRunner.Outcome outcome;
        try {
            outcome = runner.run();
        } catch (IllegalArgumentException e) {
            errStream.println("segloss study: --out " + out + ": " + e.getMessage());
            return 2;
        } catch (IOException e) {
            errStream.println("segloss study: --out " + out + ": " + e);
            return 1;
        } finally {
            progress.close();
        }
        outStream.printf(Locale.ROOT, "shard %s: %d runs, %d finished before, %d finished now, %d diverged, %d failed%n", share,
                outcome.inShard(), outcome.skipped(), outcome.finished(), outcome.diverged(), outcome.failed());
        try {
            return writeOutputs(out, outStream, errStream, "segloss study");
        } catch (IOException e) {
            errStream.println("segloss study: --out " + out + ": could not write the outputs: " + e);
            return 1;
        }
    }

    /** Heap a run may need at the default sizes (phantoms of 64³, the MNI atlas at full size): the default --jobs leaves this much per run. */
    static final long HEAP_PER_RUN = 1L << 30;

    /**
     * {jobs, threads per run} from --jobs and --threads (either may be null): neither given, one
     * 1-thread run per core; one given, the other fills the cores; both given, as given. The default
     * jobs are at most one per {@link #HEAP_PER_RUN} of {@code maxHeap}, at least 1.
     */
    static int[] parallelism(Integer jobs, Integer threads, int cores, long maxHeap) {
        int byHeap = (int) Math.max(1, Math.min(Integer.MAX_VALUE, maxHeap / HEAP_PER_RUN));
        if (jobs == null && threads == null) {
            int j = Math.max(1, Math.min(cores, byHeap));
            return new int[] {j, 1};
        }
        if (jobs == null) return new int[] {Math.max(1, Math.min(cores / threads, byHeap)), threads};
        if (threads == null) return new int[] {jobs, Math.max(1, cores / jobs)};
        return new int[] {jobs, threads};
    }

    /** results.csv, the charts and report.md from the finished runs of the study in {@code dir}; prints what is missing. */
    static int writeOutputs(Path dir, PrintStream outStream, PrintStream errStream, String who) throws IOException {
        StudyResults results = StudyResults.read(dir);
        Path csv = results.writeCsv(dir);
        int pictures = 0;
        try {
            pictures = StudyPlots.write(dir, results).size();
        } catch (IOException | RuntimeException | Error e) {
            errStream.println(who + ": could not draw the charts (" + e + "); the report has no pictures");
        }
        Path report = StudyReport.write(dir, results);
        outStream.printf(Locale.ROOT, "%d of %d runs finished; wrote %s, %s and %d charts%n", results.finished().size(),
                results.plan().runs().size(), csv, report, pictures);
        if (!results.missing().isEmpty()) {
            outStream.printf(Locale.ROOT, "%d runs missing (other shards, still running, or interrupted), e.g. %s%n",
                    results.missing().size(), results.missing().get(0));
        }
        return 0;
    }

    /** The recorded settings: what makes two runs of one (data, loss, seed) the same run. */
    Map<String, String> settings(List<String> dataList, List<String> lossList, int size, int down) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("epochs", Integer.toString(training.epochs));
        m.put("steps-per-epoch", Integer.toString(training.stepsPerEpoch));
        m.put("patch", Integer.toString(training.patch));
        m.put("batch", Integer.toString(training.batch));
        m.put("foreground-share", Double.toString(training.foregroundShare));
        m.put("lr", Float.toString(training.lr));
        m.put("depth", Integer.toString(training.depth));
        m.put("base-channels", Integer.toString(training.baseChannels));
        m.put("val-window", training.valWindow == null ? "patch" : Integer.toString(training.valWindow));
        if (dataList.contains("phantom") || dataList.contains("phantom-hard")) {
            m.put("volume-size", Integer.toString(size));
            m.put("train-volumes", Integer.toString(dataOptions.trainVolumesOrDefault()));
            m.put("val-volumes", Integer.toString(dataOptions.valVolumesOrDefault()));
        }
        if (dataList.contains("mni")) m.put("mni-downsample", Integer.toString(down));
        for (String l : lossList) {
            String name = LossCatalog.parse(l, List.of()).name(), start = FINE_TUNED.get(name);
            if (start != null) m.put("fine-tune " + name, start + " for epochs 1-" + training.epochs / 2 + ", then " + name);
        }
        if (!folders.isEmpty()) {
            m.put("fold", dataOptions.foldOrDefault());
            m.put("spacing", dataOptions.spacing == null ? "median" : dataOptions.spacing);
            for (Map.Entry<String, Path> f : folders.entrySet()) m.put("data-dir " + f.getKey(), f.getValue().toString());
        }
        return m;
    }

    /**
     * The data set of a run: phantoms from the run's seed (as segloss train), the MNI atlas, or a
     * data set folder through {@link FolderTrainingData} (fold {@code --fold}, spacing
     * {@code --spacing}; the same volumes for every seed, as mni).
     */
    TrainingData dataset(String name, long runSeed) throws IOException {
        Path dir = folders.get(name);
        if (dir != null) return dataOptions.folder(dir, training);
        return switch (name) {
            case "phantom", "phantom-hard" -> dataOptions.phantoms(runSeed, name.equals("phantom") ? Phantoms.Preset.DEFAULT
                    : Phantoms.Preset.HARD);
            case "mni" -> dataOptions.mni();
            default -> throw new IllegalArgumentException("unknown data set '" + name + "'");
        };
    }

    static int classesOf(String data, Map<String, Path> folders) throws IOException {
        Path dir = folders.get(data);
        if (dir != null) return DatasetFolder.open(dir).classes();
        return data.equals("mni") ? MniAtlas.CLASSES : Phantoms.CLASSES;
    }

    /**
     * The data set folders of {@code --data}: every item that is not a built-in name, by its data
     * name, the folder's own name ({@link #folderDataName}), as absolute, normalised paths. An item
     * that is no folder, a folder {@link DatasetFolder#open} rejects, and two data sets that would
     * get one name are errors.
     */
    static Map<String, Path> dataFolders(String spec) throws IOException {
        Map<String, Path> out = new LinkedHashMap<>();
        for (String s : spec.split(",", -1)) {
            String d = s.strip();
            if (d.isEmpty() || DATA.contains(d)) continue;
            Path dir = Path.of(d);
            check(Files.isDirectory(dir), "--data '" + spec + "': unknown data set '" + d + "'; valid: " + String.join(", ", DATA)
                    + " or a data set folder (Medical Segmentation Decathlon or nnU-Net v2 raw, holding dataset.json)");
            try {
                DatasetFolder.open(dir);
            } catch (IllegalArgumentException | IOException e) {
                throw new IllegalArgumentException("--data '" + spec + "': folder '" + d + "': " + e.getMessage(), e);
            }
            Path abs = dir.toAbsolutePath().normalize();
            String name = folderDataName(abs);
            check(!DATA.contains(name), "--data '" + spec + "': folder '" + d + "' would be named '" + name + "', the name of a built-in"
                    + " data set; rename it or link it under another name");
            Path before = out.put(name, abs);
            check(before == null || before.equals(abs), "--data '" + spec + "': two folders would both be named '" + name + "' ("
                    + before + " and " + abs + "); link one under another name");
        }
        return out;
    }

    /**
     * The name of a data set folder in a study (results.csv, report, run folders): the folder's own
     * file name, e.g. {@code Dataset001_Liver} for {@code /data/nnUNet_raw/Dataset001_Liver}; run
     * folders make it file-name safe with {@link RunKey#slug} when it is not.
     */
    static String folderDataName(Path absolute) {
        Path f = absolute.getFileName();
        return f == null ? absolute.toString() : f.toString();
    }

    /** The data sets of {@code --data}: built-in names or folders ({@code folders}), each once, at least one. */
    static List<String> dataList(String spec, Map<String, Path> folders) {
        List<String> out = new ArrayList<>();
        for (String s : spec.split(",", -1)) {
            String d = s.strip();
            if (d.isEmpty()) continue;
            String name = d;
            if (!DATA.contains(d)) {
                check(Files.isDirectory(Path.of(d)), "--data '" + spec + "': unknown data set '" + d + "'; valid: " + String.join(", ",
                        DATA) + " or a data set folder");
                name = folderDataName(Path.of(d).toAbsolutePath().normalize());
                check(folders.containsKey(name), "--data '" + spec + "': folder '" + d + "' was not checked");
            }
            check(!out.contains(name), "--data '" + spec + "': lists '" + name + "' twice");
            out.add(name);
        }
        check(!out.isEmpty(), "--data '" + spec + "': the list is empty; give at least one of " + String.join(", ", DATA)
                + " or a data set folder");
        return out;
    }

    /**
     * The losses of {@code --losses}: split at top-level commas (not inside [...]); an item with '='
     * but no ':' continues the options of the loss before it; {@code all} is every name of
     * {@link #allLosses()}.
     */
    static List<String> lossList(String spec) {
        if (spec.strip().equalsIgnoreCase("all")) return allLosses();
        List<String> items = new ArrayList<>();
        int depth = 0;
        StringBuilder cur = new StringBuilder();
        for (char ch : (spec + ",").toCharArray()) {
            if (ch == '[') depth++;
            if (ch == ']') depth--;
            if (ch == ',' && depth == 0) {
                String item = cur.toString().strip();
                cur.setLength(0);
                if (item.isEmpty()) continue;
                if (item.contains("=") && !item.contains(":")) {
                    check(!items.isEmpty(), "--losses '" + spec + "': option '" + item + "' comes before any loss name");
                    items.set(items.size() - 1, items.get(items.size() - 1) + "," + item);
                } else {
                    items.add(item);
                }
            } else {
                cur.append(ch);
            }
        }
        check(!items.isEmpty(), "--losses '" + spec + "': the loss list is empty; give at least one name (segloss losses lists them)"
                + " or 'all'");
        for (int i = 0; i < items.size(); i++) {
            for (int j = 0; j < i; j++) check(!items.get(i).equals(items.get(j)), "--losses '" + spec + "': lists '" + items.get(i) + "' twice");
        }
        return items;
    }

    private static void check(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }

    /** One progress bar across the shard's runs (optimizer steps, with ETA) and a line per finished run. */
    private final class Progress implements StudyRunner.Listener {
        private final StudyPlan plan;
        private final Shard share;
        private final StudyRunner.Settings settings;
        private ProgressBar bar;
        private int toRun;
        private final Map<RunKey, Integer> running = new LinkedHashMap<>();   // started, not ended: run → its 0-based index

        Progress(StudyPlan plan, Shard share, StudyRunner.Settings settings) {
            this.plan = plan;
            this.share = share;
            this.settings = settings;
        }

        @Override
        public void onPlan(int planned, int inShard, int toRun, long totalSteps) {
            this.toRun = toRun;
            outStream.printf(Locale.ROOT, "segloss study: %d runs (%d data sets x %d seeds x %d losses); shard %s holds %d, %d finished"
                            + " already, %d to run (%s); budget: %s; into %s%n", planned, plan.data().size(), plan.seeds().size(),
                    plan.losses().size(), share, inShard, inShard - toRun, toRun, parallelism(), plan.budget(), out);
            if (!execution.noProgress && toRun > 0) {
                bar = new ProgressBarBuilder().setTaskName("study").setInitialMax(totalSteps).setStyle(ProgressBarStyle.ASCII)
                        .setUpdateIntervalMillis(500).setConsumer(new ConsoleProgressBarConsumer(errStream)).build();
            }
        }

        @Override
        public void onRunStart(RunKey key, int index, int n) {
            running.put(key, index);
            showRunning();
        }

        /** "2 runs at once, 1 thread each". */
        private String parallelism() {
            int t = settings.threads() == null ? org.segloss.tensor.kernel.Parallel.threads() : settings.threads();
            return String.format(Locale.ROOT, "%d run%s at once, %d thread%s each", settings.jobs(), settings.jobs() == 1 ? "" : "s", t,
                    t == 1 ? "" : "s");
        }

        /** "run 3/32: KEY" or, with runs side by side, "runs 3,4/32: KEY | KEY". */
        private void showRunning() {
            if (bar == null || running.isEmpty()) return;
            StringBuilder numbers = new StringBuilder();
            for (int i : running.values()) numbers.append(numbers.isEmpty() ? "" : ",").append(i + 1);
            bar.setExtraMessage(String.format(Locale.ROOT, "run%s %s/%d: %s", running.size() > 1 ? "s" : "", numbers, toRun,
                    String.join(" | ", running.keySet().stream().map(RunKey::toString).toList())));
        }

        @Override
        public void onStep() {
            if (bar != null) bar.step();
        }

        @Override
        public void onRunEnd(RunResult r, long stepsNotRun) {
            running.remove(r.key());
            showRunning();
            if (bar != null) {
                if (stepsNotRun > 0) bar.stepBy(stepsNotRun);
                errStream.println();                // the run's line below the bar, not inside it
            }
            String what = switch (r.status()) {
                case FINISHED -> {
                    StudyResults.Row last = StudyResults.row(r, r.classNames().size() - 1);
                    yield String.format(Locale.ROOT, "finished, %s Dice %.3f", last.className(), last.dice());
                }
                case DIVERGED -> "diverged: " + r.note();
                case FAILED -> "failed: " + r.note();
            };
            outStream.printf(Locale.ROOT, "%s: %s (%.1f s)%n", r.key(), what, r.wallS());
        }

        @Override
        public void onWarning(String message) {
            errStream.println("segloss study: " + message);
        }

        void close() {
            if (bar != null) bar.close();
            bar = null;
        }
    }

    /** {@code segloss study report DIR}. */
    @Command(name = "report", mixinStandardHelpOptions = true, description = "Rewrites results.csv, report.md and the charts of the study"
            + " in DIR from its finished runs and lists the missing ones.")
    static final class Report implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "DIR", description = "The study's folder (its --out).")
        Path dir;

        PrintStream outStream = System.out;
        PrintStream errStream = System.err;

        @Override
        public Integer call() throws IOException {
            if (!Files.isRegularFile(dir.resolve(StudyPlan.FILE))) {
                errStream.println("segloss study report: " + dir + ": holds no study (no " + StudyPlan.FILE + ")");
                return 2;
            }
            try {
                return writeOutputs(dir, outStream, errStream, "segloss study report");
            } catch (IOException e) {
                errStream.println("segloss study report: " + dir + ": " + e.getMessage());
                return 2;
            }
        }
    }
}
