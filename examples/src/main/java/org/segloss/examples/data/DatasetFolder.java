package org.segloss.examples.data;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A segmentation data set on disk in one of the two layouts of the field, read from its
 * {@code dataset.json}: the Medical Segmentation Decathlon (MSD; Antonelli et al., Nat. Commun.
 * 13:4128, 2022) and the raw folder of nnU-Net v2 (Isensee et al., Nat. Methods 18:203, 2021).
 * The layout is recognised from the keys: {@code channel_names} or {@code file_ending} means
 * nnU-Net v2, {@code modality} or a {@code training} list means MSD. The full description is
 * {@code spec/datasets.md}.
 *
 * <h2>MSD</h2>
 * {@code labels} {@code {"0": "background", "1": "tumour"}}, {@code modality}
 * {@code {"0": "MRI", "1": "T2"}}, {@code training} a list of
 * {@code {"image": "./imagesTr/x.nii.gz", "label": "./labelsTr/x.nii.gz"}}, optional {@code test}
 * a list of image paths. One image file per case; several modalities are its 4th dimension. The
 * case id is the image's file name without {@code .nii.gz} / {@code .nii}.
 *
 * <h2>nnU-Net v2</h2>
 * {@code channel_names} {@code {"0": "T2", "1": "ADC"}}, {@code labels}
 * {@code {"background": 0, "tumour": 1}}, {@code numTraining}, {@code file_ending}
 * ({@code .nii.gz} or {@code .nii}). Cases are discovered in {@code imagesTr/}: one file
 * {@code CASE_XXXX<file_ending>} per channel XXXX (four digits, 0000 first), the label
 * {@code labelsTr/CASE<file_ending>}; {@code imagesTs/} (optional) the same without labels.
 *
 * <h2>Checks made here</h2>
 * Opening checks the folder without reading any voxel: the JSON and its keys, labels 0 … C−1 each
 * once with 0 the background (as nnU-Net requires: no region-based or {@code ignore} labels), at
 * least one training case, every file named or implied by {@code dataset.json} present (all
 * missing files are listed, each with its case), every channel of an nnU-Net case present and
 * {@code numTraining} equal to the cases found. The voxel checks (2-D images, grids, label values)
 * are {@link CaseLoader}'s. Every message starts with {@code dataset DIR:} and names the case and
 * the file.
 */
public final class DatasetFolder {
    /** The two layouts read. */
    public enum Layout {
        /** Medical Segmentation Decathlon: one (possibly 4-D) file per case, paths listed in dataset.json. */
        MSD,
        /** nnU-Net v2 raw: one file per channel, {@code CASE_0000.nii.gz}, cases discovered in imagesTr. */
        NNUNET_V2
    }

    /**
     * One case: its id, one image file per channel (nnU-Net) or one file holding every channel
     * (MSD), and the label file ({@code null} for a test case).
     */
    public record Case(String id, List<Path> imageFiles, Path labelFile) {
        public Case {
            imageFiles = List.copyOf(imageFiles);
        }

        /** Whether the channels are the 4th dimension of one file (MSD) rather than files of their own. */
        public boolean channelsInOneFile() { return imageFiles.size() == 1; }
    }

    private static final Pattern CHANNEL_FILE = Pattern.compile("(.+)_(\\d{4})(\\.nii\\.gz|\\.nii)");

    private final Path root;
    private final Layout layout;
    private final String name;
    private final List<String> channelNames;
    private final List<String> classNames;
    private final List<Case> training;
    private final List<Case> test;

    private DatasetFolder(Path root, Layout layout, String name, List<String> channelNames, List<String> classNames,
            List<Case> training, List<Case> test) {
        this.root = root;
        this.layout = layout;
        this.name = name;
        this.channelNames = List.copyOf(channelNames);
        this.classNames = List.copyOf(classNames);
        this.training = List.copyOf(training);
        this.test = List.copyOf(test);
    }

    /** The folder that holds {@code dataset.json}. */
    public Path root() { return root; }

    public Layout layout() { return layout; }

    /** {@code name} of dataset.json, or the folder's name. */
    public String name() { return name; }

    /** Channel (modality) names, index = input channel: {@code modality} (MSD) or {@code channel_names} (nnU-Net). */
    public List<String> channelNames() { return channelNames; }

    /** Class names, index = label value; index 0 is the background. */
    public List<String> classNames() { return classNames; }

    public int channels() { return channelNames.size(); }

    public int classes() { return classNames.size(); }

    /** Training cases, sorted by id. */
    public List<Case> training() { return training; }

    /** Test cases without labels (MSD {@code test}, nnU-Net {@code imagesTs/}), sorted by id; may be empty. */
    public List<Case> test() { return test; }

    /** The ids of the training cases, sorted. */
    public List<String> trainingIds() { return training.stream().map(Case::id).toList(); }

    /** The training case with this id. */
    public Case trainingCase(String id) {
        for (Case c : training) if (c.id().equals(id)) return c;
        throw new IllegalArgumentException(prefix(root) + "no training case '" + id + "'; cases: " + trainingIds());
    }

    static String prefix(Path root) { return "dataset " + root + ": "; }

    /**
     * Reads {@code dir/dataset.json} and checks the folder (see the class comment).
     *
     * @throws IllegalArgumentException naming the folder, the case and the file for every problem found
     * @throws IOException if a directory cannot be listed or the JSON cannot be read
     */
    public static DatasetFolder open(Path dir) throws IOException {
        String p = prefix(dir);
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException(p + "not a directory");
        Path json = dir.resolve("dataset.json");
        if (!Files.isRegularFile(json)) {
            throw new IllegalArgumentException(p + "dataset.json not found: a data set folder holds dataset.json, imagesTr/ and"
                    + " labelsTr/ (Medical Segmentation Decathlon or nnU-Net v2 raw layout)");
        }
        JsonObject o;
        try (Reader r = Files.newBufferedReader(json)) {
            JsonElement e = JsonParser.parseReader(r);
            if (!e.isJsonObject()) throw new IllegalArgumentException(p + "dataset.json must hold a JSON object, got " + kind(e));
            o = e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new IllegalArgumentException(p + "dataset.json is not valid JSON: " + e.getMessage(), e);
        }
        boolean v2 = o.has("channel_names") || o.has("file_ending");
        boolean msd = o.has("modality") || o.has("training");
        if (!v2 && !msd) {
            throw new IllegalArgumentException(p + "dataset.json must have channel_names and file_ending (nnU-Net v2) or modality"
                    + " and training (Medical Segmentation Decathlon), got keys " + o.keySet());
        }
        String name = o.has("name") && o.get("name").isJsonPrimitive() ? o.get("name").getAsString()
                : String.valueOf(dir.toAbsolutePath().normalize().getFileName());
        return v2 ? openNnUnet(dir, o, name) : openMsd(dir, o, name);
    }

    /**
     * The class names (index = label value) of a {@code dataset.json} of either layout, without
     * looking at the folder around it (for {@code segloss evaluate --labels}).
     */
    public static List<String> readClassNames(Path datasetJson) throws IOException {
        String p = "--labels " + datasetJson + ": ";
        JsonObject o;
        try (Reader r = Files.newBufferedReader(datasetJson)) {
            JsonElement e = JsonParser.parseReader(r);
            if (!e.isJsonObject()) throw new IllegalArgumentException(p + "must hold a JSON object, got " + kind(e));
            o = e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new IllegalArgumentException(p + "not valid JSON: " + e.getMessage(), e);
        }
        if (!o.has("labels") || !o.get("labels").isJsonObject()) {
            throw new IllegalArgumentException(p + "labels must be an object, got " + (o.has("labels") ? o.get("labels") : "nothing"));
        }
        // MSD keys are the values ("0": "background"); nnU-Net v2 values are the numbers ("background": 0)
        boolean msdStyle = o.getAsJsonObject("labels").keySet().stream().allMatch(k -> k.matches("-?\\d+"));
        return msdStyle ? indexedNames(p, o, "labels") : nnUnetLabels(p, o);
    }

    // ---- MSD ----------------------------------------------------------------------------------

    private static DatasetFolder openMsd(Path dir, JsonObject o, String name) throws IOException {
        String p = prefix(dir);
        List<String> channels = indexedNames(p, o, "modality");
        List<String> classes = msdLabels(p, o);
        JsonArray tr = array(p, o, "training", true);
        List<Case> training = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < tr.size(); i++) {
            JsonElement e = tr.get(i);
            if (!e.isJsonObject() || !stringField(e.getAsJsonObject(), "image") || !stringField(e.getAsJsonObject(), "label")) {
                throw new IllegalArgumentException(p + "dataset.json: training[" + i + "] must be {\"image\": \"./imagesTr/...\","
                        + " \"label\": \"./labelsTr/...\"}, got " + e);
            }
            Path image = dir.resolve(e.getAsJsonObject().get("image").getAsString()).normalize();
            Path label = dir.resolve(e.getAsJsonObject().get("label").getAsString()).normalize();
            String id = caseId(p, image, "training[" + i + "].image");
            if (!Files.isRegularFile(image)) missing.add("case " + id + ": image " + image);
            if (!Files.isRegularFile(label)) missing.add("case " + id + ": label " + label);
            training.add(new Case(id, List.of(image), label));
        }
        List<Case> test = new ArrayList<>();
        if (o.has("test")) {
            JsonArray ts = array(p, o, "test", false);
            for (int i = 0; i < ts.size(); i++) {
                JsonElement e = ts.get(i);
                String rel = e.isJsonPrimitive() ? e.getAsString()
                        : e.isJsonObject() && stringField(e.getAsJsonObject(), "image") ? e.getAsJsonObject().get("image").getAsString()
                        : null;
                if (rel == null) throw new IllegalArgumentException(p + "dataset.json: test[" + i + "] must be a path, got " + e);
                Path image = dir.resolve(rel).normalize();
                String id = caseId(p, image, "test[" + i + "]");
                if (!Files.isRegularFile(image)) missing.add("test case " + id + ": image " + image);
                test.add(new Case(id, List.of(image), null));
            }
        }
        finish(p, missing, training, test);
        return new DatasetFolder(dir, Layout.MSD, name, channels, classes, training, test);
    }

    /** MSD labels: {"0": "background", "1": "name"}. */
    private static List<String> msdLabels(String p, JsonObject o) {
        List<String> names = indexedNames(p, o, "labels");
        return names;
    }

    // ---- nnU-Net v2 ---------------------------------------------------------------------------

    private static DatasetFolder openNnUnet(Path dir, JsonObject o, String name) throws IOException {
        String p = prefix(dir);
        List<String> channels = indexedNames(p, o, "channel_names");
        if (!o.has("file_ending") || !stringField(o, "file_ending")) {
            throw new IllegalArgumentException(p + "dataset.json: file_ending must be \".nii.gz\" or \".nii\", got "
                    + (o.has("file_ending") ? o.get("file_ending") : "nothing"));
        }
        String ending = o.get("file_ending").getAsString();
        if (!ending.equals(".nii.gz") && !ending.equals(".nii")) {
            throw new IllegalArgumentException(p + "dataset.json: file_ending must be \".nii.gz\" or \".nii\" (segloss reads NIfTI-1),"
                    + " got \"" + ending + "\"");
        }
        List<String> classes = nnUnetLabels(p, o);
        List<String> missing = new ArrayList<>();
        List<Case> training = discover(p, dir, "imagesTr", ending, channels.size(), dir.resolve("labelsTr"), missing);
        List<Case> test = Files.isDirectory(dir.resolve("imagesTs"))
                ? discover(p, dir, "imagesTs", ending, channels.size(), null, missing) : new ArrayList<>();
        if (o.has("numTraining")) {
            JsonElement n = o.get("numTraining");
            if (!n.isJsonPrimitive() || !n.getAsJsonPrimitive().isNumber() || n.getAsDouble() != training.size()) {
                throw new IllegalArgumentException(p + "dataset.json: numTraining is " + n + " but imagesTr/ holds " + training.size()
                        + " cases " + training.stream().map(Case::id).toList());
            }
        }
        finish(p, missing, training, test);
        return new DatasetFolder(dir, Layout.NNUNET_V2, name, channels, classes, training, test);
    }

    /** nnU-Net v2 labels: {"background": 0, "name": 1}, consecutive from 0. */
    private static List<String> nnUnetLabels(String p, JsonObject o) {
        if (!o.has("labels") || !o.get("labels").isJsonObject()) {
            throw new IllegalArgumentException(p + "dataset.json: labels must be an object {\"background\": 0, \"name\": 1, ...},"
                    + " got " + (o.has("labels") ? o.get("labels") : "nothing"));
        }
        TreeMap<Integer, String> byValue = new TreeMap<>();
        for (Map.Entry<String, JsonElement> e : o.getAsJsonObject("labels").entrySet()) {
            JsonElement v = e.getValue();
            if (v.isJsonArray()) {
                throw new IllegalArgumentException(p + "dataset.json: labels." + e.getKey() + " is " + v + ": region-based labels"
                        + " (a list of values) are not supported; give each class one integer value");
            }
            if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber() || v.getAsDouble() != Math.rint(v.getAsDouble())) {
                throw new IllegalArgumentException(p + "dataset.json: labels." + e.getKey() + " must be an integer value, got " + v);
            }
            if (e.getKey().equals("ignore")) {
                throw new IllegalArgumentException(p + "dataset.json: the label \"ignore\" (nnU-Net's partial annotations) is not"
                        + " supported");
            }
            String prev = byValue.put(v.getAsInt(), e.getKey());
            if (prev != null) {
                throw new IllegalArgumentException(p + "dataset.json: labels " + prev + " and " + e.getKey() + " both have value " + v);
            }
        }
        return consecutive(p, byValue, "labels");
    }

    private static List<Case> discover(String p, Path dir, String folder, String ending, int channels, Path labels,
            List<String> missing) throws IOException {
        Path images = dir.resolve(folder);
        if (!Files.isDirectory(images)) {
            if (labels == null) return new ArrayList<>();
            throw new IllegalArgumentException(p + folder + "/ not found (nnU-Net v2 layout: imagesTr/CASE_0000" + ending + ")");
        }
        TreeMap<String, TreeMap<Integer, Path>> cases = new TreeMap<>();
        List<String> strays = new ArrayList<>();
        try (Stream<Path> files = Files.list(images)) {
            for (Path f : files.sorted().toList()) {
                String fn = f.getFileName().toString();
                if (fn.startsWith(".")) continue;
                Matcher m = CHANNEL_FILE.matcher(fn);
                if (!m.matches() || !m.group(3).equals(ending)) {
                    strays.add(fn);
                    continue;
                }
                cases.computeIfAbsent(m.group(1), k -> new TreeMap<>()).put(Integer.parseInt(m.group(2)), f);
            }
        }
        if (!strays.isEmpty()) {
            throw new IllegalArgumentException(p + folder + "/ holds files that are not CASE_XXXX" + ending + " (four-digit channel,"
                    + " file_ending of dataset.json): " + strays);
        }
        List<Case> out = new ArrayList<>();
        for (Map.Entry<String, TreeMap<Integer, Path>> e : cases.entrySet()) {
            String id = e.getKey();
            List<Path> files = new ArrayList<>();
            for (int c = 0; c < channels; c++) {
                Path f = e.getValue().get(c);
                if (f == null) {
                    f = images.resolve(String.format("%s_%04d%s", id, c, ending));
                    missing.add("case " + id + ": channel " + c + " image " + f);
                }
                files.add(f);
            }
            for (int c : e.getValue().keySet()) {
                if (c >= channels) {
                    throw new IllegalArgumentException(p + "case " + id + ": file " + e.getValue().get(c) + " is channel " + c
                            + " but dataset.json has " + channels + " channel(s) in channel_names");
                }
            }
            Path label = null;
            if (labels != null) {
                label = labels.resolve(id + ending);
                if (!Files.isRegularFile(label)) missing.add("case " + id + ": label " + label);
            }
            out.add(new Case(id, files, label));
        }
        return out;
    }

    // ---- shared -------------------------------------------------------------------------------

    private static void finish(String p, List<String> missing, List<Case> training, List<Case> test) {
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(p + missing.size() + " file(s) named by dataset.json are missing: "
                    + String.join("; ", missing));
        }
        if (training.isEmpty()) throw new IllegalArgumentException(p + "the training list is empty: no case to train on");
        checkUnique(p, training, "training");
        checkUnique(p, test, "test");
        training.sort((a, b) -> a.id().compareTo(b.id()));
        test.sort((a, b) -> a.id().compareTo(b.id()));
    }

    private static void checkUnique(String p, List<Case> cases, String what) {
        List<String> ids = new ArrayList<>(cases.stream().map(Case::id).toList());
        Collections.sort(ids);
        for (int i = 1; i < ids.size(); i++) {
            if (ids.get(i).equals(ids.get(i - 1))) {
                throw new IllegalArgumentException(p + "two " + what + " cases have the id '" + ids.get(i) + "' (ids are file names"
                        + " without .nii.gz / .nii)");
            }
        }
    }

    /** {"0": "a", "1": "b"} → [a, b]; keys must be 0 … n−1. */
    private static List<String> indexedNames(String p, JsonObject o, String key) {
        if (!o.has(key) || !o.get(key).isJsonObject() || o.getAsJsonObject(key).size() == 0) {
            throw new IllegalArgumentException(p + "dataset.json: " + key + " must be a non-empty object {\"0\": \"name\", ...}, got "
                    + (o.has(key) ? o.get(key) : "nothing"));
        }
        TreeMap<Integer, String> byIndex = new TreeMap<>();
        for (Map.Entry<String, JsonElement> e : o.getAsJsonObject(key).entrySet()) {
            int index;
            try {
                index = Integer.parseInt(e.getKey());
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException(p + "dataset.json: the keys of " + key + " must be integers \"0\", \"1\", ..., got \""
                        + e.getKey() + "\"" + (key.equals("labels") ? " (an nnU-Net v2 labels object needs channel_names and"
                        + " file_ending too)" : ""));
            }
            if (!e.getValue().isJsonPrimitive()) {
                throw new IllegalArgumentException(p + "dataset.json: " + key + "." + e.getKey() + " must be a name, got " + e.getValue());
            }
            if (byIndex.put(index, e.getValue().getAsString()) != null) {
                throw new IllegalArgumentException(p + "dataset.json: " + key + " has index " + index + " twice");
            }
        }
        return consecutive(p, byIndex, key);
    }

    private static List<String> consecutive(String p, TreeMap<Integer, String> byIndex, String key) {
        List<String> names = new ArrayList<>();
        int expected = 0;
        for (Map.Entry<Integer, String> e : byIndex.entrySet()) {
            if (e.getKey() != expected) {
                throw new IllegalArgumentException(p + "dataset.json: " + key + " must use the values 0, 1, ..., " + (byIndex.size() - 1)
                        + " each once, got " + byIndex.keySet());
            }
            names.add(e.getValue());
            expected++;
        }
        if (key.equals("labels") && names.size() < 2) {
            throw new IllegalArgumentException(p + "dataset.json: labels must name the background 0 and at least one class, got "
                    + byIndex);
        }
        return names;
    }

    private static JsonArray array(String p, JsonObject o, String key, boolean required) {
        if (!o.has(key) || !o.get(key).isJsonArray()) {
            throw new IllegalArgumentException(p + "dataset.json: " + key + " must be a list, got "
                    + (o.has(key) ? o.get(key) : "nothing"));
        }
        return o.getAsJsonArray(key);
    }

    private static boolean stringField(JsonObject o, String key) {
        return o.has(key) && o.get(key).isJsonPrimitive() && o.get(key).getAsJsonPrimitive().isString();
    }

    private static String kind(JsonElement e) {
        return e.isJsonArray() ? "a list" : e.isJsonNull() ? "null" : "a value " + e;
    }

    /** x.nii.gz → x; anything else is rejected. */
    static String caseId(String p, Path image, String where) {
        String fn = String.valueOf(image.getFileName());
        if (fn.endsWith(".nii.gz")) return fn.substring(0, fn.length() - 7);
        if (fn.endsWith(".nii")) return fn.substring(0, fn.length() - 4);
        throw new IllegalArgumentException(p + "dataset.json: " + where + " must be a .nii.gz or .nii file, got " + image);
    }

    /** The id of a prediction or truth file name ({@code x.nii.gz} → {@code x}), or null for another kind of file. */
    public static String idOf(Path file) {
        String fn = String.valueOf(file.getFileName());
        if (fn.endsWith(".nii.gz")) return fn.substring(0, fn.length() - 7);
        if (fn.endsWith(".nii")) return fn.substring(0, fn.length() - 4);
        return null;
    }

    @Override
    public String toString() {
        return "DatasetFolder[" + layout + " " + name + " at " + root + ": " + training.size() + " training, " + test.size()
                + " test cases, channels " + channelNames + ", classes " + classNames + "]";
    }

    /** Arrays.toString for messages. */
    static String str(double[] a) { return Arrays.toString(a); }
}
