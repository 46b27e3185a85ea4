package org.segloss.conform;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.segloss.conform.Mapping.ForLoss;
import org.segloss.conform.Mapping.NotMappable;
import org.segloss.conform.Mapping.Reason;
import org.segloss.conform.Mapping.Unsupported;
import org.segloss.loss.Activation;
import org.segloss.loss.DiceLoss;
import org.segloss.loss.Loss;
import org.segloss.loss.Reduction;

/**
 * Reference (repository + symbol) and its options to a library computation.
 *
 * <h2>Adding a loss</h2>
 * Every reference symbol of the vectors' README has one line in {@link #LossMapper()}: either a
 * factory method ({@code LossMapper::monaiDice}) or {@code notYet("TverskyLoss")}. When a loss
 * lands in the library, replace its {@code notYet(...)} by a method reference and write that one
 * static method: read every option through {@link CaseOptions} (each getter records the key; an
 * option no factory read makes the case "unsupported: option ... not understood"), build the
 * library loss and return {@link #loss(String, Loss)}. Throw {@link NotMappable} (or let
 * {@code CaseOptions.require} do it) for a value the library cannot express.
 *
 * <p>Conventions of the vectors every factory can rely on: the target is a label map
 * {@code [N, *spatial]} ({@code to_onehot_y} in MONAI), and a {@code pre_activation} of "softmax"
 * is applied by the runner before the loss (the reference then took probabilities, which its
 * options say: e.g. no {@code softmax} flag, so activation NONE).
 */
public final class LossMapper {
    public static final String MONAI = "Project-MONAI/MONAI";
    public static final String SEGLOSS = "JunMa11/SegLoss";
    public static final String LIVIAETS = "LIVIAETS/boundary-loss";
    public static final String LOVASZ = "bermanmaxim/LovaszSoftmax";
    public static final String FIDON = "LucasFidon/GeneralizedWassersteinDiceLoss";

    /** Builds the mapping of one case from its options; may throw {@link NotMappable}. */
    @FunctionalInterface
    public interface Factory {
        Mapping map(CaseFile.Case c, CaseOptions o);
    }

    private final Map<String, Factory> registry = new LinkedHashMap<>();

    /** The registry: one entry per reference symbol named in spec/vectors/README.md. */
    public LossMapper() {
        // MONAI (monai/losses/dice.py, tversky.py, focal_loss.py)
        register(MONAI, "DiceLoss", LossMapper::monaiDice);
        register(MONAI, "GeneralizedDiceLoss", notYet("GeneralizedDiceLoss"));
        register(MONAI, "TverskyLoss", notYet("TverskyLoss"));
        register(MONAI, "FocalLoss", notYet("FocalLoss"));
        register(MONAI, "DiceCELoss", notYet("CrossEntropyLoss (DiceCELoss = DiceLoss + CrossEntropyLoss)"));
        register(MONAI, "GeneralizedWassersteinDiceLoss", notYet("GeneralizedWassersteinDiceLoss"));
        // Fidon's GWDL
        register(FIDON, "GeneralizedWassersteinDiceLoss", notYet("GeneralizedWassersteinDiceLoss"));
        // Berman's Lovász
        register(LOVASZ, "lovasz_softmax", notYet("LovaszSoftmaxLoss"));
        register(LOVASZ, "lovasz_hinge", notYet("LovaszHingeLoss"));
        // LIVIAETS boundary-loss
        register(LIVIAETS, "SurfaceLoss + utils.one_hot2dist", notYet("SurfaceLoss (boundary loss)"));
        register(LIVIAETS, "SurfaceLoss", notYet("SurfaceLoss (boundary loss)"));
        register(LIVIAETS, "one_hot2dist", notYet("the signed distance transform (one_hot2dist)"));
        register(LIVIAETS, "GeneralizedDice", notYet("GeneralizedDiceLoss"));
        register(LIVIAETS, "DiceLoss", LossMapper::liviaetsDice);
        // SegLoss (losses_pytorch/)
        register(SEGLOSS, "CrossentropyND", notYet("CrossEntropyLoss"));
        register(SEGLOSS, "WeightedCrossEntropyLoss", notYet("WeightedCrossEntropyLoss"));
        register(SEGLOSS, "SoftDiceLoss", LossMapper::segLossSoftDice);
        register(SEGLOSS, "GDiceLoss", notYet("GeneralizedDiceLoss"));
        register(SEGLOSS, "GDiceLossV2", notYet("GeneralizedDiceLoss"));
        register(SEGLOSS, "TverskyLoss", notYet("TverskyLoss"));
        register(SEGLOSS, "FocalTversky_loss", notYet("FocalTverskyLoss"));
        register(SEGLOSS, "SSLoss", notYet("SensitivitySpecificityLoss"));
        register(SEGLOSS, "AsymLoss", notYet("AsymmetricSimilarityLoss"));
        register(SEGLOSS, "ExpLog_loss", notYet("ExpLogLoss"));
        register(SEGLOSS, "DC_and_CE_loss", notYet("CrossEntropyLoss (DC_and_CE_loss = CE + SoftDiceLoss)"));
        register(SEGLOSS, "FocalLoss", notYet("FocalLoss"));
    }

    /** Adds or replaces the factory of a reference symbol (tests and later losses). */
    public void register(String repo, String symbol, Factory f) {
        registry.put(key(repo, symbol), f);
    }

    /** The registered keys, {@code "repo symbol"}. */
    public List<String> symbols() { return Collections.unmodifiableList(List.copyOf(registry.keySet())); }

    /**
     * The library computation for a case, or why there is none. Never throws for a well-formed case:
     * anything a factory cannot handle comes back as {@link Unsupported}.
     */
    public Mapping map(CaseFile.Case c) {
        if (!c.task().equals("loss") && !c.task().equals("distance_map")) {
            return new Unsupported(Reason.UNKNOWN_REFERENCE, "task \"" + c.task() + "\" (known: loss, distance_map)");
        }
        Factory f = registry.get(key(c.reference().repo(), c.reference().symbol()));
        if (f == null) {
            return new Unsupported(Reason.UNKNOWN_REFERENCE, "unknown reference " + c.reference().symbol() + " of "
                    + c.reference().repo() + " (no entry in LossMapper)");
        }
        CaseOptions o = CaseOptions.of(c);
        Mapping m;
        try {
            m = f.map(c, o);
        } catch (NotMappable e) {
            return e.unsupported();
        }
        if (m instanceof Unsupported) return m;
        List<String> unread = o.unread();
        if (!unread.isEmpty()) {
            return new Unsupported(Reason.OPTION, String.join(", ", unread) + " not understood by the mapping of " + o.owner());
        }
        return m;
    }

    private static String key(String repo, String symbol) { return repo + " " + symbol; }

    // ---- helpers for factories ---------------------------------------------------------------

    /** A factory for a loss that is not in the library yet. */
    public static Factory notYet(String libraryLoss) {
        return (c, o) -> new Unsupported(Reason.NOT_IN_LIBRARY, libraryLoss + " not in the library yet");
    }

    /** A loss called on the label-map target. */
    public static ForLoss loss(String description, Loss loss) {
        return new ForLoss(description, (x, in) -> loss.forward(x, in.target()));
    }

    /** Runs a builder; the library's own IllegalArgumentException becomes "unsupported: the library rejects ...". */
    static <T> T build(String owner, Supplier<T> builder) {
        try {
            return builder.get();
        } catch (IllegalArgumentException e) {
            throw new NotMappable(Reason.OPTION, owner + ": the library rejects this configuration: " + e.getMessage());
        }
    }

    /** MONAI's {@code softmax}/{@code sigmoid}/{@code other_act} flags as one activation. */
    static Activation monaiActivation(CaseOptions o) {
        o.require("other_act", null, "a custom activation cannot be expressed");
        boolean softmax = o.bool("softmax", false), sigmoid = o.bool("sigmoid", false);
        if (softmax && sigmoid) {
            throw new NotMappable(Reason.OPTION, o.owner() + ": options 'softmax' and 'sigmoid' are both true (MONAI rejects"
                    + " this too)");
        }
        return softmax ? Activation.SOFTMAX : sigmoid ? Activation.SIGMOID : Activation.NONE;
    }

    /** MONAI's {@code reduction}; "none" is not a scalar, which every vector compares. */
    static Reduction monaiReduction(CaseOptions o) {
        String r = o.string("reduction", "mean");
        return switch (r == null ? "null" : r) {
            case "mean" -> Reduction.MEAN;
            case "sum" -> Reduction.SUM;
            default -> throw new NotMappable(Reason.OPTION, o.owner() + ": option 'reduction' must be \"mean\" or \"sum\" (a scalar"
                    + " loss), got " + CaseOptions.show(r));
        };
    }

    /** A per-class weight option: a list (one per kept class), a single number (every class), or null. */
    static float[] classWeights(CaseOptions o, String key, int keptClasses) {
        Object v = o.has(key) ? o.raw(key) : null;
        if (v instanceof Number n) {
            float[] w = new float[keptClasses];
            Arrays.fill(w, n.floatValue());
            return w;
        }
        float[] w = o.floats(key);
        if (w != null && w.length != keptClasses) {
            throw new NotMappable(Reason.OPTION, o.owner() + ": option '" + key + "' must have one entry per kept class ("
                    + keptClasses + "), got " + w.length + ": " + Arrays.toString(w));
        }
        return w;
    }

    private static int numClasses(CaseFile.Case c) {
        if (c.numClasses() != null) return c.numClasses();
        if (c.input() != null && c.input().shape() != null && c.input().shape().size() > 1) return c.input().shape().get(1);
        throw new NotMappable(Reason.OPTION, c.id() + ": num_classes is missing");
    }

    // ---- factories ---------------------------------------------------------------------------

    /** MONAI {@code DiceLoss}: the library's DiceLoss is MONAI's, option for option. */
    static Mapping monaiDice(CaseFile.Case c, CaseOptions o) {
        o.require("to_onehot_y", true, "the vectors' targets are label maps");
        Activation act = monaiActivation(o);
        Reduction red = monaiReduction(o);
        boolean includeBackground = o.bool("include_background", true);
        boolean squared = o.bool("squared_pred", false), jaccard = o.bool("jaccard", false), batch = o.bool("batch", false);
        boolean softLabel = o.bool("soft_label", false);
        double smoothNr = o.number("smooth_nr", 1e-5), smoothDr = o.number("smooth_dr", 1e-5);
        int kept = includeBackground ? numClasses(c) : numClasses(c) - 1;
        float[] weight = classWeights(o, "weight", kept);
        DiceLoss loss = build(o.owner(), () -> {
            DiceLoss.Builder b = DiceLoss.builder().activation(act).reduction(red).includeBackground(includeBackground)
                    .squaredPred(squared).jaccard(jaccard).batch(batch).softLabel(softLabel)
                    .smoothNr((float) smoothNr).smoothDr((float) smoothDr);
            if (weight != null) b.weight(weight);
            return b.build();
        });
        return loss(String.format("DiceLoss(activation=%s, includeBackground=%b, squaredPred=%b, jaccard=%b, batch=%b,"
                        + " smoothNr=%s, smoothDr=%s, weight=%s, reduction=%s)", act, includeBackground, squared, jaccard, batch,
                smoothNr, smoothDr, Arrays.toString(weight), red), loss);
    }

    /**
     * LIVIAETS {@code DiceLoss(idc)}: mean over (sample, class in idc) of
     * {@code 1 - (2I + 1e-10)/(P + G + 1e-10)} on probabilities, i.e. the library's DiceLoss with
     * activation NONE, smoothing 1e-10, MEAN, as long as idc is every class or every class but 0.
     */
    static Mapping liviaetsDice(CaseFile.Case c, CaseOptions o) {
        int classes = numClasses(c);
        int[] idc = o.ints("idc");
        if (idc == null) throw new NotMappable(Reason.OPTION, o.owner() + ": option 'idc' is missing");
        boolean includeBackground;
        if (Arrays.equals(idc, range(0, classes))) includeBackground = true;
        else if (Arrays.equals(idc, range(1, classes))) includeBackground = false;
        else {
            throw new NotMappable(Reason.OPTION, o.owner() + ": option 'idc' = " + Arrays.toString(idc) + ": the library's DiceLoss"
                    + " keeps all " + classes + " classes or all but class 0, not an arbitrary subset");
        }
        // hard-coded in losses.py: 1e-10 in numerator and denominator
        double smoothNr = o.constant("smooth_nr", 1e-10), smoothDr = o.constant("smooth_dr", 1e-10);
        DiceLoss loss = build(o.owner(), () -> DiceLoss.builder().activation(Activation.NONE)
                .includeBackground(includeBackground).smoothNr((float) smoothNr).smoothDr((float) smoothDr)
                .reduction(Reduction.MEAN).build());
        return loss("DiceLoss(activation=NONE, includeBackground=" + includeBackground + ", smoothNr=" + smoothNr
                + ", smoothDr=" + smoothDr + ", reduction=MEAN)", loss);
    }

    /**
     * SegLoss {@code SoftDiceLoss}: returns {@code -mean(dc)}, not {@code 1 - mean(dc)}, and with
     * {@code square=True} squares tp, fp, fn per voxel; the library offers neither variant.
     */
    static Mapping segLossSoftDice(CaseFile.Case c, CaseOptions o) {
        boolean square = o.bool("square", false);
        return new Unsupported(Reason.VARIANT_NOT_OFFERED, "SegLoss SoftDiceLoss returns -mean(dice) where DiceLoss returns"
                + " 1 - mean(dice) (same gradient, loss offset by 1)"
                + (square ? " and square=True squares tp, fp, fn per voxel (not MONAI's squared_pred)" : "")
                + "; the library offers no such variant");
    }

    private static int[] range(int from, int to) {
        int[] r = new int[Math.max(0, to - from)];
        for (int i = 0; i < r.length; i++) r[i] = from + i;
        return r;
    }
}
