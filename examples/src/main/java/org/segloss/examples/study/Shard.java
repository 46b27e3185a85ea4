package org.segloss.examples.study;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code --shard K/N}: the K-th of N deterministic shares of a study's run list, so that N
 * processes (array tasks of a cluster scheduler, or GNU parallel jobs) run one study into one
 * shared output folder and {@code study report} merges it.
 *
 * <p><b>K is 0-based: 0 ≤ K &lt; N.</b> That is what the schedulers hand out: Kubernetes Indexed
 * Jobs set {@code JOB_COMPLETION_INDEX} to 0..completions−1, and a Slurm job array submitted with
 * {@code --array=0-(N-1)} sets {@code SLURM_ARRAY_TASK_ID} to 0..N−1 and
 * {@code SLURM_ARRAY_TASK_COUNT} to N. (An array submitted as {@code --array=1-N} must pass
 * {@code $((SLURM_ARRAY_TASK_ID - 1))}; K = N is rejected with that hint.)
 *
 * <p><b>Assignment:</b> run i of the plan's ordered list ({@link StudyPlan#runs()}) belongs to
 * shard {@code i mod N} (round robin), so every shard gets runs of every data set and loss, and
 * the shares differ in size by at most one run.
 */
public record Shard(int index, int count) {
    /** The whole study as one shard. */
    public static final Shard ALL = new Shard(0, 1);

    private static final Pattern FORM = Pattern.compile("(\\d{1,9})/(\\d{1,9})");

    public Shard {
        if (count < 1) throw new IllegalArgumentException("Shard: N must be >= 1, got " + count);
        if (index < 0 || index >= count) {
            throw new IllegalArgumentException("Shard: K must be in [0, " + count + "), got " + index);
        }
    }

    /**
     * Parses {@code K/N}.
     *
     * @throws IllegalArgumentException naming the value and the expected form, e.g. for
     *     {@code 4/4}: "--shard 4/4: K must be in [0, 4) (0-based; ...)"
     */
    public static Shard parse(String text) {
        String shown = "--shard " + (text == null ? "(none)" : "'" + text + "'");
        if (text == null) throw new IllegalArgumentException(shown + ": expected K/N, e.g. 0/4");
        Matcher m = FORM.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException(shown + ": expected K/N with whole numbers 0 <= K < N, e.g. 0/4 (Slurm: "
                    + "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT; Kubernetes: $JOB_COMPLETION_INDEX/N)");
        }
        int k = Integer.parseInt(m.group(1)), n = Integer.parseInt(m.group(2));
        if (n < 1) throw new IllegalArgumentException(shown + ": N must be >= 1, got " + n);
        if (k >= n) {
            throw new IllegalArgumentException(shown + ": K must be in [0, " + n + "), got " + k + " (K is 0-based: submit a Slurm array as"
                    + " --array=0-" + (n - 1) + ", or pass $((SLURM_ARRAY_TASK_ID - 1)) with --array=1-" + n + ")");
        }
        return new Shard(k, n);
    }

    /** Whether run {@code i} of the ordered list belongs to this shard. */
    public boolean owns(int i) {
        if (i < 0) throw new IllegalArgumentException("Shard.owns: i must be >= 0, got " + i);
        return i % count == index;
    }

    /** This shard's runs of {@code runs}, in their order. */
    public <T> List<T> select(List<T> runs) {
        List<T> out = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) if (owns(i)) out.add(runs.get(i));
        return out;
    }

    @Override
    public String toString() {
        return index + "/" + count;
    }
}
