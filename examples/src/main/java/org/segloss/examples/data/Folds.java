package org.segloss.examples.data;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which training cases train and which validate: {@code --fold K} or {@code --fold all}.
 *
 * <p><b>The rule.</b> When the data set folder holds nnU-Net's {@code splits_final.json} (a list
 * of {@code {"train": [ids], "val": [ids]}}), fold K is its K-th entry. Otherwise fold K of a
 * deterministic 5-fold split of the sorted case ids, the one nnU-Net v2 generates
 * ({@code generate_crossval_split}: scikit-learn {@code KFold(n_splits=5, shuffle=True,
 * random_state=12345)}): the indices 0 … n−1 are shuffled by NumPy's legacy
 * {@code RandomState(12345).shuffle} (MT19937 seeded with {@code init_genrand(12345)}, then
 * Fisher–Yates from the end with masked rejection sampling); the first {@code n mod 5} folds take
 * {@code ⌊n/5⌋ + 1} of the shuffled indices, the others {@code ⌊n/5⌋}, in order; fold K validates
 * on its indices and trains on the rest; both lists are returned in sorted id order. Fewer than 5
 * cases cannot be split into 5 folds: write a {@code splits_final.json} or use {@code all}.
 * (Recent nnU-Net versions sort the identifiers as here; older ones used the directory listing's
 * order: their own {@code splits_final.json} reproduces their folds exactly.)
 * {@code all} trains on every case and validates on none.
 */
public final class Folds {
    /** Folds of the generated split. */
    public static final int FOLDS = 5;
    /** nnU-Net's seed of the split. */
    public static final long SEED = 12345;
    /** The file nnU-Net keeps its splits in, in the data set (preprocessed) folder. */
    public static final String SPLITS_FILE = "splits_final.json";

    private Folds() {}

    /** Training and validation case ids of one fold ({@code validation} empty for {@code all}). */
    public record Fold(String name, List<String> train, List<String> validation) {
        public Fold {
            train = List.copyOf(train);
            validation = List.copyOf(validation);
        }
    }

    /**
     * The fold {@code spec} ({@code "all"} or {@code "0"} … ) of the cases {@code ids} of the folder
     * {@code dir}: from {@code dir/splits_final.json} when present, else generated.
     *
     * @throws IllegalArgumentException for a bad spec, a fold the split does not have, fewer than 5
     *     cases without a splits file, or a splits file naming cases the folder lacks
     */
    public static Fold select(Path dir, List<String> ids, String spec) throws IOException {
        List<String> sorted = new ArrayList<>(ids);
        Collections.sort(sorted);
        if (spec.equals("all")) return new Fold("all", sorted, List.of());
        int k;
        try {
            k = Integer.parseInt(spec);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--fold " + spec + ": must be a fold number 0, 1, ... or all");
        }
        if (k < 0) throw new IllegalArgumentException("--fold " + spec + ": must be >= 0 or all");
        Path splits = dir.resolve(SPLITS_FILE);
        if (Files.isRegularFile(splits)) {
            List<Fold> folds = readSplits(splits, sorted);
            if (k >= folds.size()) {
                throw new IllegalArgumentException("--fold " + spec + ": " + splits + " has " + folds.size() + " fold(s), 0.."
                        + (folds.size() - 1));
            }
            return folds.get(k);
        }
        if (k >= FOLDS) throw new IllegalArgumentException("--fold " + spec + ": the generated split has folds 0.." + (FOLDS - 1));
        if (sorted.size() < FOLDS) {
            throw new IllegalArgumentException("--fold " + spec + ": a 5-fold split needs at least 5 training cases, got "
                    + sorted.size() + " " + sorted + "; write " + SPLITS_FILE + " into " + dir + " or use --fold all");
        }
        return kFold(sorted, FOLDS, SEED).get(k);
    }

    /** nnU-Net's split of {@code ids} (sorted here first) into {@code folds} folds; see the class comment. */
    public static List<Fold> kFold(List<String> ids, int folds, long seed) {
        List<String> sorted = new ArrayList<>(ids);
        Collections.sort(sorted);
        int n = sorted.size();
        if (folds < 2 || n < folds) {
            throw new IllegalArgumentException("Folds.kFold: need 2 <= folds <= cases, got " + folds + " folds for " + n + " cases");
        }
        int[] order = shuffledIndices(n, seed);
        List<Fold> out = new ArrayList<>();
        int start = 0;
        for (int f = 0; f < folds; f++) {
            int size = n / folds + (f < n % folds ? 1 : 0);
            boolean[] val = new boolean[n];
            for (int i = start; i < start + size; i++) val[order[i]] = true;
            start += size;
            List<String> train = new ArrayList<>(), validation = new ArrayList<>();
            for (int i = 0; i < n; i++) (val[i] ? validation : train).add(sorted.get(i));
            out.add(new Fold(Integer.toString(f), train, validation));
        }
        return out;
    }

    /** {@code numpy.random.RandomState(seed).shuffle(np.arange(n))}. */
    static int[] shuffledIndices(int n, long seed) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        MersenneTwister mt = new MersenneTwister(seed);
        for (int i = n - 1; i >= 1; i--) {
            int j = (int) mt.interval(i);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }

    /** Reads nnU-Net's splits file; every id must be a case of the folder. */
    static List<Fold> readSplits(Path file, List<String> ids) throws IOException {
        JsonElement root;
        try (Reader r = Files.newBufferedReader(file)) {
            root = JsonParser.parseReader(r);
        } catch (JsonParseException e) {
            throw new IllegalArgumentException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        if (!root.isJsonArray() || root.getAsJsonArray().isEmpty()) {
            throw new IllegalArgumentException(file + ": must be a non-empty list of {\"train\": [...], \"val\": [...]}, got " + abbreviate(root));
        }
        Set<String> known = new HashSet<>(ids);
        List<Fold> out = new ArrayList<>();
        JsonArray arr = root.getAsJsonArray();
        for (int f = 0; f < arr.size(); f++) {
            JsonElement e = arr.get(f);
            if (!e.isJsonObject() || !e.getAsJsonObject().has("train") || !e.getAsJsonObject().has("val")) {
                throw new IllegalArgumentException(file + ": fold " + f + " must be {\"train\": [...], \"val\": [...]}, got " + abbreviate(e));
            }
            List<String> train = idList(file, f, "train", e.getAsJsonObject().get("train"), known);
            List<String> val = idList(file, f, "val", e.getAsJsonObject().get("val"), known);
            if (train.isEmpty()) throw new IllegalArgumentException(file + ": fold " + f + ": the train list is empty");
            Collections.sort(train);
            Collections.sort(val);
            out.add(new Fold(Integer.toString(f), train, val));
        }
        return out;
    }

    private static List<String> idList(Path file, int f, String key, JsonElement e, Set<String> known) {
        if (!e.isJsonArray()) throw new IllegalArgumentException(file + ": fold " + f + ": " + key + " must be a list of case ids, got " + abbreviate(e));
        List<String> out = new ArrayList<>(), unknown = new ArrayList<>();
        for (JsonElement x : e.getAsJsonArray()) {
            String id = x.getAsString();
            if (!known.contains(id)) unknown.add(id);
            out.add(id);
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(file + ": fold " + f + ": " + key + " names case(s) the data set does not have: " + unknown);
        }
        return out;
    }

    private static String abbreviate(JsonElement e) {
        String s = String.valueOf(e);
        return s.length() > 120 ? s.substring(0, 117) + "..." : s;
    }

    /** MT19937 (Matsumoto and Nishimura, ACM TOMACS 8:3, 1998) as NumPy's legacy RandomState uses it. */
    static final class MersenneTwister {
        private final int[] mt = new int[624];
        private int index;

        /** {@code init_genrand(seed)}: what {@code RandomState(seed)} does for a seed in [0, 2^32). */
        MersenneTwister(long seed) {
            if (seed < 0 || seed > 0xffffffffL) throw new IllegalArgumentException("MersenneTwister: seed must be in [0, 2^32), got " + seed);
            mt[0] = (int) seed;
            for (int i = 1; i < 624; i++) mt[i] = 1812433253 * (mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
            index = 624;
        }

        /** The next 32-bit output, as an unsigned value. */
        long nextUint32() {
            if (index >= 624) {
                for (int i = 0; i < 624; i++) {
                    int y = (mt[i] & 0x80000000) | (mt[(i + 1) % 624] & 0x7fffffff);
                    mt[i] = mt[(i + 397) % 624] ^ (y >>> 1) ^ ((y & 1) != 0 ? 0x9908b0df : 0);
                }
                index = 0;
            }
            int y = mt[index++];
            y ^= y >>> 11;
            y ^= (y << 7) & 0x9d2c5680;
            y ^= (y << 15) & 0xefc60000;
            y ^= y >>> 18;
            return y & 0xffffffffL;
        }

        /** A uniform integer in [0, max] by masked rejection (NumPy's legacy {@code random_interval}, max &lt; 2^32). */
        long interval(long max) {
            if (max == 0) return 0;
            long mask = max;
            mask |= mask >>> 1;
            mask |= mask >>> 2;
            mask |= mask >>> 4;
            mask |= mask >>> 8;
            mask |= mask >>> 16;
            long v;
            while ((v = nextUint32() & mask) > max) {
                // rejected: draw again
            }
            return v;
        }
    }
}
