package org.segloss.examples.study;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.segloss.util.AtomicFiles;

/**
 * What a study runs: data sets × seeds × losses, and the training settings every run shares
 * (epochs, volume size, ...: the budget). Saved as {@code study.json} in the study's folder, so that
 * {@code study report DIR} knows which runs are missing, and so that a shard or a resumed study
 * started with other settings into the same folder is refused instead of mixing two studies.
 *
 * <p><b>Run order</b> ({@link #runs()}): data-major, then seed, then loss, in the order given:
 * {@code for data: for seed: for loss}. The first finished runs are then whole paired sets (every
 * loss on seed 1), which is what an interrupted study can already report on.
 *
 * @param data data set names, in order, no duplicates, at least one
 * @param losses loss names ({@code NAME} or {@code NAME:KEY=VALUE,...}), no duplicates, at least one
 * @param seeds seeds, no duplicates, at least one
 * @param settings the shared training settings (option name without dashes → value), sorted by name
 */
public record StudyPlan(List<String> data, List<String> losses, List<Long> seeds, Map<String, String> settings) {
    /** The file a study's folder holds the plan in. */
    public static final String FILE = "study.json";
    /** Version of the study folder layout, stored in {@code study.json}. */
    public static final String FORMAT = "segloss-study-1";

    public StudyPlan {
        data = checkList("data", data);
        losses = checkList("losses", losses);
        if (seeds == null || seeds.isEmpty()) throw new IllegalArgumentException("StudyPlan: seeds must not be empty (expected at least 1 seed)");
        if (new HashSet<>(seeds).size() != seeds.size()) throw new IllegalArgumentException("StudyPlan: seeds must be distinct, got " + seeds);
        seeds = List.copyOf(seeds);
        settings = settings == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(settings));
    }

    private static List<String> checkList(String what, List<String> names) {
        if (names == null || names.isEmpty()) {
            throw new IllegalArgumentException("StudyPlan: " + what + " must not be empty (expected at least one name)");
        }
        Set<String> seen = new HashSet<>();
        for (String n : names) {
            if (n == null || n.isBlank()) throw new IllegalArgumentException("StudyPlan: " + what + " has an empty name: " + names);
            if (!seen.add(n)) throw new IllegalArgumentException("StudyPlan: " + what + " lists '" + n + "' twice: " + names);
        }
        return List.copyOf(names);
    }

    /** {@code count} consecutive seeds from {@code first}: first, first + 1, .... */
    public static List<Long> seeds(long first, int count) {
        if (count < 1) throw new IllegalArgumentException("StudyPlan.seeds: count must be >= 1, got " + count);
        List<Long> s = new ArrayList<>(count);
        for (int i = 0; i < count; i++) s.add(first + i);
        return s;
    }

    /** Every run, in the fixed order of the class comment. */
    public List<RunKey> runs() {
        List<RunKey> runs = new ArrayList<>(data.size() * seeds.size() * losses.size());
        for (String d : data) for (long s : seeds) for (String l : losses) runs.add(new RunKey(d, l, s));
        return runs;
    }

    /** The budget in words, for the report: "10 epochs × 100 steps, batch 2 of 32³, ..." from the settings present. */
    public String budget() {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, String> e : settings.entrySet()) parts.add(e.getKey() + " " + e.getValue());
        return parts.isEmpty() ? "(no settings recorded)" : String.join(", ", parts);
    }

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    /** The plan as {@code study.json} text (format, data, losses, seeds, settings). */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("data", data);
        m.put("losses", losses);
        m.put("seeds", seeds);
        m.put("settings", settings);
        return GSON.toJson(m) + "\n";
    }

    /** Reads {@code study.json} text. */
    public static StudyPlan fromJson(String json) {
        try {
            Stored s = GSON.fromJson(json, Stored.class);
            if (s == null || !FORMAT.equals(s.format)) {
                throw new IllegalArgumentException("not a " + FORMAT + " study plan (format " + (s == null ? null : s.format) + ")");
            }
            return new StudyPlan(s.data, s.losses, s.seeds, s.settings);
        } catch (JsonParseException e) {
            throw new IllegalArgumentException("study plan is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static final class Stored {
        String format;
        List<String> data;
        List<String> losses;
        List<Long> seeds;
        Map<String, String> settings;
    }

    /** Reads {@code dir/study.json}. */
    public static StudyPlan read(Path dir) throws IOException {
        Path f = dir.resolve(FILE);
        if (!Files.exists(f)) throw new java.io.FileNotFoundException(dir + " holds no study (no " + FILE + ")");
        try {
            return fromJson(Files.readString(f, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new IOException(f + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes this plan into {@code dir} (atomically) unless it holds it already; a different plan
     * there is an error, so two studies never share a folder (shards of one study write the same
     * plan, byte for byte).
     *
     * @throws IllegalArgumentException when {@code dir} holds another plan (the message lists the differences)
     */
    public void claim(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path f = dir.resolve(FILE);
        if (Files.exists(f)) {
            StudyPlan old = read(dir);
            if (!old.equals(this)) {
                throw new IllegalArgumentException(dir + " holds another study (" + FILE + " differs: " + differences(old, this)
                        + "); use another --out, or the same options to resume it");
            }
            return;
        }
        AtomicFiles.write(f, toJson().getBytes(StandardCharsets.UTF_8));
    }

    static String differences(StudyPlan a, StudyPlan b) {
        List<String> d = new ArrayList<>();
        if (!a.data.equals(b.data)) d.add("data " + a.data + " there, " + b.data + " now");
        if (!a.losses.equals(b.losses)) d.add("losses " + a.losses + " there, " + b.losses + " now");
        if (!a.seeds.equals(b.seeds)) d.add("seeds " + a.seeds + " there, " + b.seeds + " now");
        Set<String> keys = new java.util.TreeSet<>(a.settings.keySet());
        keys.addAll(b.settings.keySet());
        for (String k : keys) {
            String x = a.settings.get(k), y = b.settings.get(k);
            if (!java.util.Objects.equals(x, y)) d.add(k + " " + x + " there, " + y + " now");
        }
        return String.join("; ", d);
    }
}
