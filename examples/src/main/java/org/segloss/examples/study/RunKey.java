package org.segloss.examples.study;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One run of a study: a data set, a loss and a seed. Runs with the same (data, seed) share the
 * data, the initial weights and the patch sequence, so losses are compared on paired runs.
 *
 * @param data the data set name as given to {@code --data} ({@code phantom}, {@code phantom-hard},
 *     {@code mni} or a directory)
 * @param loss the loss as given to {@code --losses} ({@code NAME} or {@code NAME:KEY=VALUE,...})
 * @param seed the run's seed
 */
public record RunKey(String data, String loss, long seed) {
    public RunKey {
        if (data == null || data.isBlank()) throw new IllegalArgumentException("RunKey: data must not be blank, got '" + data + "'");
        if (loss == null || loss.isBlank()) throw new IllegalArgumentException("RunKey: loss must not be blank, got '" + loss + "'");
    }

    /**
     * The run's folder relative to the study's {@code runs/} directory:
     * {@code <data>/<loss>/seed-<seed>}, each name made safe for a file system by {@link #slug}.
     */
    public Path folder() {
        return Path.of(slug(data), slug(loss), "seed-" + seed);
    }

    @Override
    public String toString() {
        return data + " / " + loss + " / seed " + seed;
    }

    /**
     * A file-name-safe form of a name: the name itself when it consists of {@code [A-Za-z0-9._-]}
     * only (and does not start with a dot); otherwise every run of other characters replaced by
     * {@code _}, followed by {@code -} and the first 8 hex digits of the name's SHA-256, so that two
     * names that differ only in those characters ({@code a:b=1} and {@code a:b_1}) get two folders.
     */
    public static String slug(String name) {
        if (name.matches("[A-Za-z0-9_-][A-Za-z0-9._-]*") && name.length() <= 80) return name;
        String safe = name.replaceAll("[^A-Za-z0-9._-]+", "_").replaceAll("^[._]+", "");
        if (safe.length() > 60) safe = safe.substring(0, 60);
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
            return (safe.isEmpty() ? "x" : safe) + "-" + HexFormat.of().formatHex(h, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is a required JDK algorithm", e);
        }
    }
}
