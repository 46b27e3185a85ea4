package org.segloss.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.segloss.examples.data.CaseLoader;
import org.segloss.examples.data.CaseLoader.LoadedCase;
import org.segloss.examples.data.Predictor;
import org.segloss.examples.train.Postprocess;
import org.segloss.io.Nifti;
import org.segloss.io.NiftiImage;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.kernel.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code segloss predict}: applies a checkpoint of {@code segloss train --data DIR} to new images
 * ({@link Predictor}) and writes each prediction on the input's grid with the input's header.
 *
 * <p>Cases, as nnU-Net names them: files {@code CASE_0000.nii.gz}, {@code CASE_0001.nii.gz} … are
 * the channels of case {@code CASE}; any other {@code .nii.gz} / {@code .nii} file is one case
 * whose channels are its 4th dimension (MSD). The prediction is {@code OUT/CASE.nii.gz} (the
 * input's ending), uint8; {@code --probabilities} adds {@code OUT/CASE_probabilities.nii.gz},
 * float32 {@code [K, D, H, W]} as a 4-D file on the same grid. Every case is read and checked
 * (channels against the checkpoint, grids, 2-D images) before the first file is written; each file
 * appears atomically.
 */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {"Predicts label maps with a checkpoint of 'segloss train --data DIR': the checkpoint's preprocessing,"
                + " Gaussian-weighted sliding windows (half-window steps), mirroring, then back onto each input's grid, written"
                + " with its header as OUT/CASE.nii.gz (uint8)."})
final class PredictCommand implements Callable<Integer> {
    private static final Pattern CHANNEL_FILE = Pattern.compile("(.+)_(\\d{4})(\\.nii\\.gz|\\.nii)");

    @Option(names = "--checkpoint", required = true, paramLabel = "FILE", description = "RUN/checkpoint.ckpt of segloss train --data DIR.")
    Path checkpoint;

    @Option(names = "--in", required = true, paramLabel = "IMG|DIR", description = "An image (CASE_0000.nii.gz takes its sibling"
            + " channels along) or a folder of them.")
    Path in;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where CASE.nii.gz go (created; not the --in folder).")
    Path out;

    @Option(names = "--probabilities", description = "Also write CASE_probabilities.nii.gz (float32, [K, D, H, W]).")
    boolean probabilities;

    @Option(names = "--no-mirroring", description = "No test-time mirroring (8 times faster; nnU-Net's --disable_tta).")
    boolean noMirroring;

    @Option(names = "--postprocess", description = "none or largest_component (each class keeps its largest 6-connected"
            + " component, on the input grid; the probabilities stay as predicted). Default: ${DEFAULT-VALUE}.")
    Postprocess postprocess = Postprocess.none;

    @Mixin
    ExecutionOptions execution = new ExecutionOptions();

    PrintStream outStream = System.out;
    PrintStream errStream = System.err;

    /** One input case: its id, its files (one per channel, or one 4-D file) and the ending of its name. */
    record InputCase(String id, List<Path> files, String ending) {}

    @Override
    public Integer call() throws IOException {
        Predictor.Loaded trained;
        List<InputCase> cases;
        try {
            if (execution.threads != null && execution.threads < 1) {
                throw new IllegalArgumentException("--threads must be >= 1, got " + execution.threads);
            }
            if (!Files.isRegularFile(checkpoint)) throw new IllegalArgumentException("--checkpoint " + checkpoint + ": no such file");
            trained = Predictor.load(checkpoint);
            int channels = trained.preprocessing().channels().size();
            cases = discover(in, channels);
            if (Files.isDirectory(in) && Files.exists(out) && Files.isSameFile(in, out)) {
                throw new IllegalArgumentException("--out " + out + ": must not be the --in folder (predictions would mix with the images)");
            }
            if (Files.exists(out) && !Files.isDirectory(out)) throw new IllegalArgumentException("--out " + out + ": is a file, not a folder");
            // read and check every case before writing anything
            for (InputCase c : cases) CaseLoader.load(c.id(), c.files(), null, channels, trained.preprocessing().classes());
        } catch (IllegalArgumentException e) {
            errStream.println("segloss predict: " + e.getMessage());
            return 2;
        }
        int threadsBefore = Parallel.threads();
        if (execution.threads != null) Parallel.setThreads(execution.threads);
        try {
            Files.createDirectories(out);
            Predictor predictor = new Predictor(trained, !noMirroring);
            int channels = trained.preprocessing().channels().size();
            ProgressBar bar = execution.noProgress ? null : new ProgressBarBuilder().setTaskName("predict").setInitialMax(cases.size())
                    .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).setConsumer(new ConsoleProgressBarConsumer(errStream))
                    .build();
            try {
                for (InputCase c : cases) {
                    if (bar != null) bar.setExtraMessage(c.id());
                    LoadedCase lc = CaseLoader.load(c.id(), c.files(), null, channels, trained.preprocessing().classes());
                    Predictor.Result r = predictor.predict(lc);
                    NiftiImage ref = lc.reference();
                    LabelTensor labels = postprocess.apply(r.labels(), trained.preprocessing().classes());
                    Nifti.write(out.resolve(c.id() + c.ending()), ref.withVoxels(labels, NiftiImage.Datatype.UINT8)
                            .withDescription("segloss predict"));
                    if (probabilities) {
                        Nifti.write(out.resolve(c.id() + "_probabilities" + c.ending()), ref.withVoxels(r.probabilities(),
                                NiftiImage.Datatype.FLOAT32).withDescription("segloss predict probabilities"));
                    }
                    if (bar != null) bar.step();
                }
            } finally {
                if (bar != null) bar.close();
            }
        } finally {
            Parallel.setThreads(threadsBefore);
        }
        outStream.printf(Locale.ROOT, "predicted %d case(s) into %s (classes %s)%n", cases.size(), out, trained.preprocessing().classNames());
        return 0;
    }

    /** The cases of {@code --in}: nnU-Net channel files grouped by case, any other NIfTI file a case of its own. */
    static List<InputCase> discover(Path in, int channels) throws IOException {
        List<Path> files;
        if (Files.isDirectory(in)) {
            try (Stream<Path> s = Files.list(in)) {
                files = s.filter(f -> Files.isRegularFile(f) && ending(f) != null && !f.getFileName().toString().startsWith(".")).sorted()
                        .toList();
            }
            if (files.isEmpty()) throw new IllegalArgumentException("--in " + in + ": holds no .nii.gz or .nii file");
        } else if (Files.isRegularFile(in)) {
            if (ending(in) == null) throw new IllegalArgumentException("--in " + in + ": must be a .nii.gz or .nii file or a folder");
            Matcher m = CHANNEL_FILE.matcher(in.getFileName().toString());
            if (m.matches()) {
                List<Path> siblings = new ArrayList<>();
                try (Stream<Path> s = Files.list(in.toAbsolutePath().getParent())) {
                    for (Path f : s.sorted().toList()) {
                        Matcher n = CHANNEL_FILE.matcher(f.getFileName().toString());
                        if (n.matches() && n.group(1).equals(m.group(1)) && n.group(3).equals(m.group(3))) siblings.add(f);
                    }
                }
                files = siblings;
            } else {
                files = List.of(in);
            }
        } else {
            throw new IllegalArgumentException("--in " + in + ": no such file or folder");
        }
        TreeMap<String, TreeMap<Integer, Path>> channelCases = new TreeMap<>();
        Map<String, InputCase> out = new TreeMap<>();
        Map<String, String> endings = new TreeMap<>();
        for (Path f : files) {
            String fn = f.getFileName().toString();
            Matcher m = CHANNEL_FILE.matcher(fn);
            if (m.matches()) {
                channelCases.computeIfAbsent(m.group(1), k -> new TreeMap<>()).put(Integer.parseInt(m.group(2)), f);
                endings.put(m.group(1), m.group(3));
            } else {
                String e = ending(f), id = fn.substring(0, fn.length() - e.length());
                if (out.put(id, new InputCase(id, List.of(f), e)) != null) {
                    throw new IllegalArgumentException("case " + id + ": --in holds both " + id + ".nii.gz and " + id + ".nii");
                }
            }
        }
        for (Map.Entry<String, TreeMap<Integer, Path>> e : channelCases.entrySet()) {
            String id = e.getKey();
            List<Path> ch = new ArrayList<>();
            for (int c = 0; c < Math.max(channels, e.getValue().lastKey() + 1); c++) {
                Path f = e.getValue().get(c);
                if (f == null || c >= channels) {
                    throw new IllegalArgumentException("case " + id + ": the checkpoint's model takes " + channels + " channel(s), files "
                            + id + "_0000 .. " + id + String.format(Locale.ROOT, "_%04d", channels - 1) + endings.get(id) + "; found "
                            + e.getValue().values().stream().map(p -> p.getFileName().toString()).toList());
                }
                ch.add(f);
            }
            if (channels == 1 && ch.size() == 1 && out.containsKey(id)) {
                throw new IllegalArgumentException("case " + id + ": --in holds both " + id + endings.get(id) + " and "
                        + ch.get(0).getFileName());
            }
            out.put(id, new InputCase(id, ch, endings.get(id)));
        }
        return new ArrayList<>(out.values());
    }

    static String ending(Path f) {
        String fn = f.getFileName().toString();
        return fn.endsWith(".nii.gz") ? ".nii.gz" : fn.endsWith(".nii") ? ".nii" : null;
    }
}
