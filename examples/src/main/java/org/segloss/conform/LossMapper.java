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
import org.segloss.distance.SignedDistanceMaps;
import org.segloss.loss.Activation;
import org.segloss.loss.CrossEntropyLoss;
import org.segloss.loss.DiceCELoss;
import org.segloss.loss.DiceLoss;
import org.segloss.loss.FocalLoss;
import org.segloss.loss.Loss;
import org.segloss.loss.LovaszHingeLoss;
import org.segloss.loss.LovaszSoftmaxLoss;
import org.segloss.loss.NegatedScoreLoss;
import org.segloss.loss.Reduction;
import org.segloss.loss.WeightedSumLoss;
import org.segloss.tensor.Tensor;

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
        register(MONAI, "FocalLoss", LossMapper::monaiFocal);
        register(MONAI, "DiceCELoss", LossMapper::monaiDiceCe);
        register(MONAI, "GeneralizedWassersteinDiceLoss", notYet("GeneralizedWassersteinDiceLoss"));
        // Fidon's GWDL
        register(FIDON, "GeneralizedWassersteinDiceLoss", notYet("GeneralizedWassersteinDiceLoss"));
        // Berman's Lovász
        register(LOVASZ, "lovasz_softmax", LossMapper::lovaszSoftmax);
        register(LOVASZ, "lovasz_hinge", LossMapper::lovaszHinge);
        // LIVIAETS boundary-loss
        register(LIVIAETS, "SurfaceLoss + utils.one_hot2dist", notYet("SurfaceLoss (boundary loss)"));
        register(LIVIAETS, "SurfaceLoss", notYet("SurfaceLoss (boundary loss)"));
        register(LIVIAETS, "one_hot2dist", LossMapper::liviaetsOneHot2dist);
        register(LIVIAETS, "GeneralizedDice", notYet("GeneralizedDiceLoss"));
        register(LIVIAETS, "DiceLoss", LossMapper::liviaetsDice);
        // SegLoss (losses_pytorch/)
        register(SEGLOSS, "CrossentropyND", LossMapper::segLossCrossentropyNd);
        register(SEGLOSS, "WeightedCrossEntropyLoss", LossMapper::segLossWeightedCe);
        register(SEGLOSS, "SoftDiceLoss", LossMapper::segLossSoftDice);
        register(SEGLOSS, "GDiceLoss", notYet("GeneralizedDiceLoss"));
        register(SEGLOSS, "GDiceLossV2", notYet("GeneralizedDiceLoss"));
        register(SEGLOSS, "TverskyLoss", notYet("TverskyLoss"));
        register(SEGLOSS, "FocalTversky_loss", notYet("FocalTverskyLoss"));
        register(SEGLOSS, "SSLoss", notYet("SensitivitySpecificityLoss"));
        register(SEGLOSS, "AsymLoss", notYet("AsymmetricSimilarityLoss"));
        register(SEGLOSS, "ExpLog_loss", notYet("ExpLogLoss"));
        register(SEGLOSS, "DC_and_CE_loss", LossMapper::segLossDcAndCe);
        register(SEGLOSS, "FocalLoss", LossMapper::segLossFocal);
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
     * SegLoss {@code SoftDiceLoss}: {@code dc = (2tp + s)/(2tp + fp + fn + s)} per (sample, class)
     * (per class with {@code batch_dice}), class 0 dropped after the fact without {@code do_bg},
     * returns {@code -mean(dc)}. Since {@code 2tp + fp + fn = P + G}, that is the library's DiceLoss
     * (smoothNr = smoothDr = s, MEAN) under {@link NegatedScoreLoss}, the named variant for the
     * {@code -score} convention. {@code square=True} (squares tp, fp, fn per voxel) is not offered.
     */
    static Mapping segLossSoftDice(CaseFile.Case c, CaseOptions o) {
        requireSign(o, "sign", "-mean(dice)");
        Activation act = segLossNonlin(o);
        SegDice dice = segLossDiceLoss(o, act);
        return loss("-score(" + dice.description() + ")", NegatedScoreLoss.of(dice.loss()));
    }

    /**
     * SegLoss {@code DC_and_CE_loss(soft_dice_kwargs, ce_kwargs, aggregate="sum")}:
     * {@code CrossentropyND(**ce_kwargs) + SoftDiceLoss(apply_nonlin=softmax_helper, **soft_dice_kwargs)}
     * = CE − mean dice, i.e. {@code CrossEntropyLoss + NegatedScoreLoss(DiceLoss)} with weights 1, 1.
     */
    static Mapping segLossDcAndCe(CaseFile.Case c, CaseOptions o) {
        String aggregate = o.string("aggregate", "sum");
        if (!"sum".equals(aggregate)) {
            throw new NotMappable(Reason.OPTION, o.owner() + ": option 'aggregate' must be \"sum\" (the only one SegLoss"
                    + " implements), got " + CaseOptions.show(aggregate));
        }
        requireSign(o, "dice_sign", "-mean(dice)");
        CaseOptions diceOpts = nested(o, "soft_dice_kwargs"), ceOpts = nested(o, "ce_kwargs");
        SegDice dice = segLossDiceLoss(diceOpts, Activation.SOFTMAX);   // apply_nonlin fixed by DC_and_CE_loss
        requireAllRead(diceOpts);
        TorchCe ce = torchCrossEntropy(c, ceOpts, true);
        requireAllRead(ceOpts);
        Loss sum = build(o.owner(), () -> WeightedSumLoss.builder().add(1f, ce.loss()).add(1f, NegatedScoreLoss.of(dice.loss())).build());
        return loss("1 * " + ce.description() + " + 1 * -score(" + dice.description() + ")", sum);
    }

    /** SegLoss {@code CrossentropyND}: {@code torch.nn.CrossEntropyLoss} (all its keyword arguments) on logits. */
    static Mapping segLossCrossentropyNd(CaseFile.Case c, CaseOptions o) {
        TorchCe ce = torchCrossEntropy(c, o, true);
        return loss(ce.description(), ce.loss());
    }

    /**
     * SegLoss {@code WeightedCrossEntropyLoss(weight=None)}: {@code torch.nn.CrossEntropyLoss(weight)}
     * on logits, i.e. plain (PyTorch-weighted) cross-entropy, not Sudre's automatic weighting of the
     * library's {@code WeightedCrossEntropyLoss}. Its only argument is {@code weight}.
     */
    static Mapping segLossWeightedCe(CaseFile.Case c, CaseOptions o) {
        TorchCe ce = torchCrossEntropy(c, o, false);
        return loss(ce.description(), ce.loss());
    }

    /**
     * SegLoss {@code FocalLoss}: its {@code p_t = Σ_c clamp(onehot_c, s/(C-1), 1-s)·p_c + s} is
     * label-smoothed and its α rule (balance_index, list normalised to sum 1) is its own; the
     * library's FocalLoss has MONAI's semantics and offers no such variant.
     */
    static Mapping segLossFocal(CaseFile.Case c, CaseOptions o) {
        return new Unsupported(Reason.VARIANT_NOT_OFFERED, "SegLoss FocalLoss uses a label-smoothed p_t = Σ_c clamp(onehot_c,"
                + " s/(C-1), 1-s)·p_c + s (smooth=" + CaseOptions.show(o.has("smooth") ? o.raw("smooth") : null) + ") and"
                + " its own alpha rule (balance_index; a list normalised to sum 1); the library's FocalLoss (MONAI"
                + " semantics, p_t = softmax probability) offers no such variant");
    }

    /**
     * MONAI {@code FocalLoss} (@ d388d1c: float alpha only): the library's FocalLoss with
     * {@link FocalLoss.Variant#MONAI}, which follows MONAI where it is non-standard (softmax over the
     * foreground channels without background; SUM averaging over space first) and equals STANDARD
     * otherwise. MONAI drops a scalar alpha with a warning for softmax without background; the
     * library rejects that combination, which makes such a case unsupported.
     */
    static Mapping monaiFocal(CaseFile.Case c, CaseOptions o) {
        o.require("to_onehot_y", true, "the vectors' targets are label maps");
        boolean useSoftmax = o.bool("use_softmax", false);
        boolean includeBackground = o.bool("include_background", true);
        double gamma = o.number("gamma", 2.0);
        Object a = o.raw("alpha");
        if (a != null && !(a instanceof Number)) {
            throw new NotMappable(Reason.OPTION, o.owner() + ": option 'alpha' must be a number or null (MONAI @ d388d1c"
                    + " takes a float alpha), got " + CaseOptions.show(a));
        }
        Double alpha = a == null ? null : ((Number) a).doubleValue();
        Reduction red = monaiReduction(o);
        int kept = includeBackground ? numClasses(c) : numClasses(c) - 1;
        float[] weight = classWeights(o, "weight", kept);
        Activation act = useSoftmax ? Activation.SOFTMAX : Activation.SIGMOID;
        FocalLoss loss = build(o.owner(), () -> {
            FocalLoss.Builder b = FocalLoss.builder().variant(FocalLoss.Variant.MONAI).activation(act)
                    .includeBackground(includeBackground).gamma((float) gamma).reduction(red);
            if (alpha != null) b.alpha(alpha.floatValue());
            if (weight != null) b.weight(weight);
            return b.build();
        });
        return loss(String.format("FocalLoss(variant=MONAI, activation=%s, includeBackground=%b, gamma=%s, alpha=%s, weight=%s,"
                + " reduction=%s)", act, includeBackground, gamma, alpha, Arrays.toString(weight), red), loss);
    }

    /**
     * MONAI {@code DiceCELoss} with {@code softmax=True}: the library's DiceCELoss (Dice on the
     * softmax with MONAI's options, CE on the logits; {@code weight} has C entries and the Dice part
     * gets {@code weight[1:]} without background, as in MONAI).
     */
    static Mapping monaiDiceCe(CaseFile.Case c, CaseOptions o) {
        o.require("to_onehot_y", true, "the vectors' targets are label maps");
        Activation act = monaiActivation(o);
        if (act != Activation.SOFTMAX) {
            throw new NotMappable(Reason.OPTION, o.owner() + ": option 'softmax' must be true (the library's DiceCELoss takes"
                    + " logits and applies softmax to the Dice part), got activation " + act);
        }
        Reduction red = monaiReduction(o);
        boolean includeBackground = o.bool("include_background", true);
        boolean squared = o.bool("squared_pred", false), jaccard = o.bool("jaccard", false), batch = o.bool("batch", false);
        double smoothNr = o.number("smooth_nr", 1e-5), smoothDr = o.number("smooth_dr", 1e-5);
        double lambdaDice = o.number("lambda_dice", 1.0), lambdaCe = o.number("lambda_ce", 1.0);
        double eps = o.number("label_smoothing", 0.0);
        float[] weight = classWeights(o, "weight", numClasses(c));   // C entries: CE weights; Dice gets weight[1:] without bg
        DiceCELoss loss = build(o.owner(), () -> {
            DiceCELoss.Builder b = DiceCELoss.builder().lambdaDice((float) lambdaDice).lambdaCe((float) lambdaCe)
                    .includeBackground(includeBackground).squaredPred(squared).jaccard(jaccard).batch(batch)
                    .smoothNr((float) smoothNr).smoothDr((float) smoothDr).labelSmoothing((float) eps).reduction(red);
            if (weight != null) b.weight(weight);
            return b.build();
        });
        return loss(String.format("DiceCELoss(lambdaDice=%s, lambdaCe=%s, includeBackground=%b, squaredPred=%b, jaccard=%b,"
                        + " batch=%b, smoothNr=%s, smoothDr=%s, labelSmoothing=%s, weight=%s, reduction=%s)", lambdaDice, lambdaCe,
                includeBackground, squared, jaccard, batch, smoothNr, smoothDr, eps, Arrays.toString(weight), red), loss);
    }

    /**
     * Berman's {@code lovasz_softmax(probas, labels, classes, per_image, ignore)}: the library's
     * LovaszSoftmaxLoss on probabilities (activation NONE: the saved probabilities, or the runner's
     * {@code pre_activation} softmax).
     */
    static Mapping lovaszSoftmax(CaseFile.Case c, CaseOptions o) {
        Object cls = o.has("classes") ? o.raw("classes") : "present";
        int[] ids = cls instanceof List<?> ? o.ints("classes") : null;
        LovaszSoftmaxLoss.Classes mode;
        if (ids != null) mode = LovaszSoftmaxLoss.Classes.LIST;
        else if ("present".equals(cls)) mode = LovaszSoftmaxLoss.Classes.PRESENT;
        else if ("all".equals(cls)) mode = LovaszSoftmaxLoss.Classes.ALL;
        else {
            throw new NotMappable(Reason.OPTION, o.owner() + ": option 'classes' must be \"present\", \"all\" or a list of class"
                    + " ids, got " + CaseOptions.show(cls));
        }
        boolean perImage = o.bool("per_image", false);
        Integer ignore = intOrNull(o, "ignore");
        LovaszSoftmaxLoss loss = build(o.owner(), () -> {
            LovaszSoftmaxLoss.Builder b = LovaszSoftmaxLoss.builder().activation(Activation.NONE).perImage(perImage);
            if (ids != null) b.classes(ids);
            else b.classes(mode);
            if (ignore != null) b.ignoreIndex(ignore);
            return b.build();
        });
        return loss(String.format("LovaszSoftmaxLoss(activation=NONE, classes=%s, perImage=%b, ignoreIndex=%s)",
                ids != null ? Arrays.toString(ids) : mode, perImage, ignore), loss);
    }

    /**
     * Berman's {@code lovasz_hinge(logits, labels, per_image, ignore)}: the library's LovaszHingeLoss.
     * The reference's input is channel-less ({@code input.layout} "NHW"/"NDHW"); the input Var is
     * reshaped to {@code [N, 1, *spatial]} inside the graph, so the gradient keeps the saved shape.
     */
    static Mapping lovaszHinge(CaseFile.Case c, CaseOptions o) {
        if (!c.preActivationOrNone().equals("none")) {
            throw new NotMappable(Reason.OPTION, o.owner() + ": pre_activation must be \"none\" (the hinge takes raw logits), got "
                    + CaseOptions.show(c.preActivation()));
        }
        boolean perImage = o.bool("per_image", true);
        Integer ignore = intOrNull(o, "ignore");
        LovaszHingeLoss loss = build(o.owner(), () -> {
            LovaszHingeLoss.Builder b = LovaszHingeLoss.builder().perImage(perImage);
            if (ignore != null) b.ignoreIndex(ignore);
            return b.build();
        });
        String layout = c.input() == null ? null : c.input().layout();
        boolean channelLess = layout == null ? c.input() != null && c.input().shape() != null && c.target().shape() != null
                && c.input().shape().size() == c.target().shape().size() : !layout.contains("C");
        String desc = String.format("LovaszHingeLoss(perImage=%b, ignoreIndex=%s)%s", perImage, ignore,
                channelLess ? " on the input reshaped to [N, 1, *spatial]" : "");
        return new ForLoss(desc, (x, in) -> loss.forward(channelLess ? x.reshape(x.shape().insert(1, 1).dims()) : x, in.target()));
    }

    /**
     * LIVIAETS {@code utils.one_hot2dist(seg, resolution, dtype)}: the library's
     * {@link SignedDistanceMaps#oneHot2dist} of the one-hot {@code [K, *spatial]} of the label image.
     * A float {@code dtype} (or a null dtype on a float one-hot) is reproduced; a null dtype on an
     * integer one-hot (the official dataloader: every distance truncated to an integer) is not.
     */
    static Mapping liviaetsOneHot2dist(CaseFile.Case c, CaseOptions o) {
        int k = o.has("num_classes") ? integer(o, "num_classes") : numClasses(c);
        double[] resolution = doubles(o, "resolution");
        String dtype = o.string("dtype", null), onehotDtype = o.string("onehot_dtype", "int64");
        String out = dtype != null ? dtype : onehotDtype;
        if (out == null || !(out.equals("float64") || out.equals("float32"))) {
            throw new NotMappable(Reason.VARIANT_NOT_OFFERED, o.owner() + ": dtype " + CaseOptions.show(dtype) + " with onehot_dtype "
                    + CaseOptions.show(onehotDtype) + " gives a " + out + " map (every distance truncated to an integer, the"
                    + " official dataloader's artifact); the library's oneHot2dist computes real-valued distances only");
        }
        return new Mapping.ForDistanceMap(String.format("SignedDistanceMaps.oneHot2dist(oneHot(%d), resolution=%s)", k,
                Arrays.toString(resolution)), image -> {
                    int[] dims = image.shape().dims();
                    int[] batched = new int[dims.length + 1];
                    batched[0] = 1;
                    System.arraycopy(dims, 0, batched, 1, dims.length);
                    Tensor seg = image.reshape(batched).oneHot(k).reshape(image.shape().insert(0, k).dims());
                    return SignedDistanceMaps.oneHot2dist(seg, resolution);
                });
    }

    // ---- shared pieces of the SegLoss and torch mappings -----------------------------------------------

    /** SegLoss {@code apply_nonlin}: softmax_helper (softmax over the channels) or None (probabilities). */
    static Activation segLossNonlin(CaseOptions o) {
        String nonlin = o.string("apply_nonlin", null);
        if (nonlin == null) return Activation.NONE;
        if (nonlin.equals("softmax_helper")) return Activation.SOFTMAX;
        throw new NotMappable(Reason.OPTION, o.owner() + ": option 'apply_nonlin' must be \"softmax_helper\" or null, got "
                + CaseOptions.show(nonlin));
    }

    /**
     * The {@code 1 - mean(dc)} DiceLoss of SegLoss's SoftDiceLoss options ({@code batch_dice},
     * {@code do_bg}, {@code smooth}, {@code square}; SegLoss's defaults False, True, 1, False).
     */
    static SegDice segLossDiceLoss(CaseOptions o, Activation act) {
        boolean square = o.bool("square", false);
        if (square) {
            throw new NotMappable(Reason.VARIANT_NOT_OFFERED, o.owner() + ": square=True squares tp, fp, fn per voxel before"
                    + " summing (dc = (2Σ(py)² + s)/(2Σ(py)² + Σ(p(1-y))² + Σ((1-p)y)² + s)); the library's DiceLoss offers"
                    + " no such variant (MONAI's squared_pred squares p and y in the denominator only)");
        }
        boolean batchDice = o.bool("batch_dice", false), doBg = o.bool("do_bg", true);
        double smooth = o.number("smooth", 1.0);
        DiceLoss loss = build(o.owner(), () -> DiceLoss.builder().activation(act).includeBackground(doBg).batch(batchDice)
                .smoothNr((float) smooth).smoothDr((float) smooth).reduction(Reduction.MEAN).build());
        return new SegDice(loss, String.format("DiceLoss(activation=%s, includeBackground=%b, batch=%b, smoothNr=smoothDr=%s,"
                + " reduction=MEAN)", act, doBg, batchDice, smooth));
    }

    /** A library DiceLoss and its description. */
    record SegDice(DiceLoss loss, String description) {}

    /** An implicit sign constant, when listed, must be the one the mapping reproduces. */
    private static void requireSign(CaseOptions o, String key, String expected) {
        Object sign = o.constantRaw(key);
        if (sign != null && !expected.equals(sign)) {
            throw new NotMappable(Reason.OPTION, o.owner() + ": implicit constant '" + key + "' must be " + CaseOptions.show(expected)
                    + ", got " + CaseOptions.show(sign));
        }
    }

    /** A library CE and its description. */
    record TorchCe(CrossEntropyLoss loss, String description) {}

    /**
     * {@code torch.nn.CrossEntropyLoss(weight, ignore_index, reduction, label_smoothing)} on logits:
     * the library's CrossEntropyLoss (PyTorch semantics). With {@code allKwargs} false only
     * {@code weight} is an argument (SegLoss WeightedCrossEntropyLoss); others stay unread.
     */
    static TorchCe torchCrossEntropy(CaseFile.Case c, CaseOptions o, boolean allKwargs) {
        int classes = numClasses(c);
        Object w = o.raw("weight");
        if (w instanceof Number) {
            throw new NotMappable(Reason.OPTION, o.owner() + ": option 'weight' must be a list of " + classes
                    + " class weights or null (torch's weight is a tensor of size C), got " + CaseOptions.show(w));
        }
        float[] weight = classWeights(o, "weight", classes);
        Integer ignore = null;
        Reduction red = Reduction.MEAN;
        double eps = 0;
        if (allKwargs) {
            ignore = intOrNull(o, "ignore_index");   // torch's default -100 is kept: no label equals it
            String r = o.string("reduction", "mean");
            red = switch (r == null ? "null" : r) {
                case "mean" -> Reduction.MEAN;
                case "sum" -> Reduction.SUM;
                default -> throw new NotMappable(Reason.OPTION, o.owner() + ": option 'reduction' must be \"mean\" or \"sum\" (a"
                        + " scalar loss), got " + CaseOptions.show(r));
            };
            eps = o.number("label_smoothing", 0.0);
            o.require("size_average", null, "deprecated torch argument; use reduction");
            o.require("reduce", null, "deprecated torch argument; use reduction");
        }
        Integer ii = ignore;
        Reduction rr = red;
        double e = eps;
        CrossEntropyLoss loss = build(o.owner(), () -> {
            CrossEntropyLoss.Builder b = CrossEntropyLoss.builder().reduction(rr).labelSmoothing((float) e);
            if (weight != null) b.weight(weight);
            if (ii != null) b.ignoreIndex(ii);
            return b.build();
        });
        return new TorchCe(loss, String.format("CrossEntropyLoss(weight=%s, ignoreIndex=%s, labelSmoothing=%s, reduction=%s)",
                Arrays.toString(weight), ignore, eps, red));
    }

    /** The options of a dict-valued option (e.g. {@code soft_dice_kwargs}); null or absent is empty. */
    static CaseOptions nested(CaseOptions o, String key) {
        Object v = o.raw(key);
        if (v != null && !(v instanceof Map<?, ?>)) {
            throw new NotMappable(Reason.OPTION, o.owner() + ": option '" + key + "' must be a dict of keyword arguments, got "
                    + CaseOptions.show(v));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        if (v != null) ((Map<?, ?>) v).forEach((k, x) -> m.put(String.valueOf(k), x));
        return new CaseOptions(o.owner() + " " + key, null, m, null);
    }

    /** Every key of nested options must have been read, as {@link #map} requires of the top level. */
    static void requireAllRead(CaseOptions nested) {
        List<String> unread = nested.unread();
        if (!unread.isEmpty()) {
            throw new NotMappable(Reason.OPTION, String.join(", ", unread) + " not understood by the mapping of " + nested.owner());
        }
    }

    /** An integer option, or null when absent or null. */
    static Integer intOrNull(CaseOptions o, String key) {
        Object v = o.raw(key);
        if (v == null) return null;
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) return n.intValue();
        throw new NotMappable(Reason.OPTION, o.owner() + ": option '" + key + "' must be an integer or null, got " + CaseOptions.show(v));
    }

    private static int integer(CaseOptions o, String key) {
        Integer v = intOrNull(o, key);
        if (v == null) throw new NotMappable(Reason.OPTION, o.owner() + ": option '" + key + "' must be an integer, got null");
        return v;
    }

    /** A list of numbers as doubles (spacings: no float rounding), or null when absent or null. */
    static double[] doubles(CaseOptions o, String key) {
        Object v = o.raw(key);
        if (v == null) return null;
        if (v instanceof List<?> l) {
            double[] d = new double[l.size()];
            for (int i = 0; i < d.length; i++) {
                if (!(l.get(i) instanceof Number n)) {
                    throw new NotMappable(Reason.OPTION, o.owner() + ": option '" + key + "' must be a list of numbers, got "
                            + CaseOptions.show(v));
                }
                d[i] = n.doubleValue();
            }
            return d;
        }
        throw new NotMappable(Reason.OPTION, o.owner() + ": option '" + key + "' must be a list of numbers or null, got "
                + CaseOptions.show(v));
    }

    private static int[] range(int from, int to) {
        int[] r = new int[Math.max(0, to - from)];
        for (int i = 0; i < r.length; i++) r[i] = from + i;
        return r;
    }
}
