package org.segloss.examples.study;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.gson.Strictness;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.segloss.examples.unet.LabeledVolume;
import org.segloss.metrics.LesionDetection;
import org.segloss.metrics.MetricsReport;
import org.segloss.metrics.SegmentationMetrics;
import org.segloss.tensor.LabelTensor;

/**
 * What one finished run of a study leaves in its folder ({@code result.json}): how it ended, its
 * cost, its learning curve and the scores of every foreground class on every validation volume.
 * A diverged run is a result too: status {@link Status#DIVERGED}, a note saying where, the curve
 * up to there and no validation scores.
 *
 * @param key the run
 * @param status how the run ended
 * @param note for a diverged run, where and how (e.g. "loss NaN at epoch 3, step 17"); else empty
 * @param classNames the foreground class names, label 1 first
 * @param epochs epochs trained
 * @param stepMs mean wall time of one training step, milliseconds
 * @param wallS wall time of the whole run (data, training, validation), seconds
 * @param curve one entry per finished epoch
 * @param volumes per validation volume, the scores of every foreground class after the last epoch
 * @param config the run's settings (loss in canonical form, epochs, ...), as the trainer records them
 */
public record RunResult(RunKey key, Status status, String note, List<String> classNames, int epochs, double stepMs, double wallS,
        List<Epoch> curve, List<Volume> volumes, Map<String, String> config) {

    /** How a run ended. */
    public enum Status {
        /** Trained every epoch and validated. */
        FINISHED,
        /** The loss became NaN or infinite; {@code note} says where. */
        DIVERGED,
        /** Training threw (e.g. a loss that rejects the data); {@code note} holds the message. Delete the folder to run it again. */
        FAILED
    }

    /**
     * One epoch of the learning curve.
     *
     * @param epoch 1-based
     * @param loss mean training loss of the epoch
     * @param dice validation Dice per foreground class after the epoch (mean over the volumes)
     */
    public record Epoch(int epoch, double loss, List<Double> dice) {}

    /** The scores of one validation volume ({@code index} 0-based), one row per foreground class. */
    public record Volume(int index, List<ClassResult> classes) {}

    public RunResult {
        if (key == null || status == null) throw new IllegalArgumentException("RunResult: key and status must not be null");
        if (classNames == null || classNames.isEmpty()) {
            throw new IllegalArgumentException("RunResult: classNames (foreground) must not be empty");
        }
        note = note == null ? "" : note;
        curve = curve == null ? List.of() : List.copyOf(curve);
        volumes = volumes == null ? List.of() : List.copyOf(volumes);
        config = config == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(config));   // sorted: the same JSON in every process
        classNames = List.copyOf(classNames);
        if (status == Status.FINISHED && volumes.isEmpty()) {
            throw new IllegalArgumentException("RunResult: a finished run needs the scores of at least one validation volume");
        }
        for (Volume v : volumes) {
            if (v.classes().size() != classNames.size()) {
                throw new IllegalArgumentException("RunResult: volume " + v.index() + " has " + v.classes().size() + " class rows, expected "
                        + classNames.size() + " " + classNames);
            }
        }
    }

    /**
     * The scores of every foreground class on each validation volume: Dice, IoU, HD95 and ASSD in
     * mm ({@link SegmentationMetrics}, with {@code spacing}) and the 26-connected lesion-wise counts
     * ({@link LesionDetection}).
     *
     * @param predictions one label map per validation volume, {@code [D, H, W]}
     * @param truths the validation volumes, in the same order
     * @param classNames every class name, background first
     */
    public static List<Volume> score(List<LabelTensor> predictions, List<LabeledVolume> truths, String[] classNames, double[] spacing) {
        if (predictions.size() != truths.size()) {
            throw new IllegalArgumentException("RunResult.score: need one prediction per validation volume (" + truths.size() + "), got "
                    + predictions.size());
        }
        List<Volume> out = new ArrayList<>();
        for (int v = 0; v < truths.size(); v++) {
            LabelTensor pred = predictions.get(v), truth = truths.get(v).labels();
            MetricsReport r = SegmentationMetrics.evaluate(pred, truth, classNames.length, spacing);
            List<ClassResult> rows = new ArrayList<>();
            for (int c = 1; c < classNames.length; c++) rows.add(ClassResult.of(classNames[c], r.row(c), LesionDetection.of(pred, truth, c)));
            out.add(new Volume(v, rows));
        }
        return out;
    }

    /** The file of a run's folder that holds it. */
    public static final String FILE = "result.json";

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeSpecialFloatingPointValues()
            .setStrictness(Strictness.LENIENT).create();

    /** As {@code result.json} text; doubles in Java's shortest round-trip form, NaN and Infinity as such. */
    public String toJson() {
        return GSON.toJson(this) + "\n";
    }

    /** Reads {@code result.json} text. */
    public static RunResult fromJson(String json) {
        try {
            RunResult r = GSON.fromJson(json, RunResult.class);
            if (r == null) throw new IllegalArgumentException("empty run result");
            return r;
        } catch (JsonParseException e) {
            throw new IllegalArgumentException("run result is not valid JSON: " + e.getMessage(), e);
        }
    }
}
