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
import org.segloss.loss.BoundaryLoss;
import org.segloss.loss.GeneralizedWassersteinDiceLoss;
import org.segloss.loss.Activation;
import org.segloss.loss.CrossEntropyLoss;
import org.segloss.loss.DiceCELoss;
import org.segloss.loss.DiceLoss;
import org.segloss.loss.ExpLogLoss;
import org.segloss.loss.FocalLoss;
import org.segloss.loss.FocalTverskyLoss;
import org.segloss.loss.GeneralizedDiceLoss;
import org.segloss.loss.Loss;
import org.segloss.loss.LovaszHingeLoss;
import org.segloss.loss.LovaszSoftmaxLoss;
import org.segloss.loss.NegatedScoreLoss;
import org.segloss.loss.Reduction;
import org.segloss.loss.SensitivitySpecificityLoss;
import org.segloss.loss.TverskyLoss;
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
        register(MONAI, "GeneralizedDiceLoss", LossMapper::monaiGeneralizedDice);
        register(MONAI, "TverskyLoss", LossMapper::monaiTversky);
        register(MONAI, "FocalLoss", LossMapper::monaiFocal);
        register(MONAI, "DiceCELoss", LossMapper::monaiDiceCe);
        register(MONAI, "GeneralizedWassersteinDiceLoss", (c, o) -> gwdl(c, o, false));
        // Fidon's GWDL
        register(FIDON, "GeneralizedWassersteinDiceLoss", (c, o) -> gwdl(c, o, true));
        // Berman's Lovász
        register(LOVASZ, "lovasz_softmax", LossMapper::lovaszSoftmax);
        register(LOVASZ, "lovasz_hinge", LossMapper::lovaszHinge);
        // LIVIAETS boundary-loss
        register(LIVIAETS, "SurfaceLoss + utils.one_hot2dist", LossMapper::surfaceLoss);
        register(LIVIAETS, "SurfaceLoss", LossMapper::surfaceLoss);
        register(LIVIAETS, "one_hot2dist", LossMapper::liviaetsOneHot2dist);
        register(LIVIAETS, "GeneralizedDice", LossMapper::liviaetsGeneralizedDice);
        register(LIVIAETS, "DiceLoss", LossMapper::liviaetsDice);
        // SegLoss (losses_pytorch/)
        register(SEGLOSS, "CrossentropyND", LossMapper::segLossCrossentropyNd);
        register(SEGLOSS, "WeightedCrossEntropyLoss", LossMapper::segLossWeightedCe);
        register(SEGLOSS, "SoftDiceLoss", LossMapper::segLossSoftDice);
        register(SEGLOSS, "GDiceLoss", LossMapper::segLossGDice);
        register(SEGLOSS, "GDiceLossV2", LossMapper::segLossGDiceV2);
        register(SEGLOSS, "TverskyLoss", LossMapper::segLossTversky);
        register(SEGLOSS, "FocalTversky_loss", LossMapper::segLossFocalTversky);
        register(SEGLOSS, "SSLoss", LossMapper::segLossSs);
        register(SEGLOSS, "AsymLoss", LossMapper::segLossAsym);
        register(SEGLOSS, "ExpLog_loss", LossMapper::segLossExpLog);
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
        Map<String, Object> documented = DOCUMENTED_CONSTANTS.getOrDefault(key(c.reference().repo(), c.reference().symbol()), Map.of());
        for (String k : o.unreadConstantKeys()) {
            if (!documented.containsKey(k)) continue;   // stays "not understood" below
            Object v = o.constantRaw(k), expected = documented.get(k);
            if (!sameConstant(v, expected)) {
                return new Unsupported(Reason.OPTION, o.owner() + ": implicit constant '" + k + "' must be "
                        + CaseOptions.show(expected) + " (what the library computes for this reference), got " + CaseOptions.show(v));
            }
        }
        List<String> unread = o.unread();
        if (!unread.isEmpty()) {
            return new Unsupported(Reason.OPTION, String.join(", ", unread) + " not understood by the mapping of " + o.owner());
        }
        return m;
    }

    private static String key(String repo, String symbol) { return repo + " " + symbol; }

    /**
     * The implicit constants each reference hard-codes (the vectors' {@code implicit_constants}),
     * with the value the library computes in the mapped variant. A case may carry any of them: a
     * factory reads the ones it configures the library from (Tversky's alpha and beta, the
     * smoothing of LIVIAETS and Fidon); any other listed here is accepted when it has this value and
     * reported unsupported, naming the value, when it has another; a constant listed for no
     * reference stays "not understood".
     */
    static final Map<String, Map<String, Object>> DOCUMENTED_CONSTANTS = Map.ofEntries(
            Map.entry(key(FIDON, "GeneralizedWassersteinDiceLoss"), Map.of(
                    "smooth_nr", GeneralizedWassersteinDiceLoss.FIDON_SMOOTH, "smooth_dr", GeneralizedWassersteinDiceLoss.FIDON_SMOOTH)),
            Map.entry(key(LIVIAETS, "DiceLoss"), Map.of("smooth_nr", 1e-10, "smooth_dr", 1e-10)),
            Map.entry(key(LIVIAETS, "GeneralizedDice"), Map.of("weight", "1/(count+1e-10)^2", "smooth_nr", 1e-10, "smooth_dr", 1e-10)),
            Map.entry(key(SEGLOSS, "SoftDiceLoss"), Map.of("sign", "-mean(dice)")),
            Map.entry(key(SEGLOSS, "GDiceLoss"), Map.of("weight", "1/(count+1e-10)^2", "smooth_added_to", "sum_c w*I and sum_c w*U",
                    "sign", "-GDS")),
            Map.entry(key(SEGLOSS, "GDiceLossV2"), Map.of("weight", "1/clamp(count^2, min=smooth)", "denominator_clamp_min", "smooth",
                    "reduce_over", "batch and voxels together", "sign", "-GDS")),
            Map.entry(key(SEGLOSS, "TverskyLoss"), Map.of("alpha", 0.3, "beta", 0.7, "sign", "-mean(TI)")),
            Map.entry(key(SEGLOSS, "FocalTversky_loss"), Map.of("tversky_alpha", 0.3, "tversky_beta", 0.7)),
            Map.entry(key(SEGLOSS, "SSLoss"), Map.of("r", 0.1)),
            Map.entry(key(SEGLOSS, "ExpLog_loss"), Map.of("dice_weight", 0.8, "wce_weight", 0.2, "dice_clamp_min", 1e-6)),
            Map.entry(key(SEGLOSS, "DC_and_CE_loss"), Map.of("dice_sign", "-mean(dice)")),
            Map.entry(key(SEGLOSS, "AsymLoss"), Map.of("beta", 1.5, "sign", "-mean(asym)")));

    /** The documented implicit constants of a reference (empty when it has none). */
    public static Map<String, Object> documentedConstants(String repo, String symbol) {
        return DOCUMENTED_CONSTANTS.getOrDefault(key(repo, symbol), Map.of());
    }

    /** JSON numbers compare as doubles, anything else by equality. */
    private static boolean sameConstant(Object v, Object expected) {
        return v instanceof Number a && expected instanceof Number b ? a.doubleValue() == b.doubleValue() : java.util.Objects.equals(v, expected);
    }

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
        boolean includeBackground = liviaetsIdc(c, o, "DiceLoss");
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
        requireConstant(o, "sign", "-mean(dice)");
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
        requireConstant(o, "dice_sign", "-mean(dice)");
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

    // ---- generalized Wasserstein Dice and boundary ------------------------------------------------

    /**
     * Fidon's and MONAI's {@code GeneralizedWassersteinDiceLoss(dist_matrix, weighting_mode,
     * reduction)} on logits (softmax inside): the library's GeneralizedWassersteinDiceLoss. Fidon's
     * smoothing is the implicit constant {@code np.spacing(1)}; MONAI's is {@code smooth_nr/dr}.
     */
    static Mapping gwdl(CaseFile.Case c, CaseOptions o, boolean fidon) {
        Object raw = o.raw("dist_matrix");
        if (!(raw instanceof List<?> rows)) {
            throw new NotMappable(Reason.OPTION, o.owner() + ": option 'dist_matrix' must be a list of rows, got " + CaseOptions.show(raw));
        }
        double[][] m = new double[rows.size()][];
        for (int i = 0; i < m.length; i++) {
            if (!(rows.get(i) instanceof List<?> row)) {
                throw new NotMappable(Reason.OPTION, o.owner() + ": option 'dist_matrix' row " + i + " must be a list, got "
                        + CaseOptions.show(rows.get(i)));
            }
            m[i] = new double[row.size()];
            for (int j = 0; j < m[i].length; j++) {
                if (!(row.get(j) instanceof Number n)) {
                    throw new NotMappable(Reason.OPTION, o.owner() + ": option 'dist_matrix' must hold numbers, got "
                            + CaseOptions.show(row.get(j)));
                }
                m[i][j] = n.doubleValue();
            }
        }
        String mode = o.string("weighting_mode", "default");
        GeneralizedWassersteinDiceLoss.Weighting weighting = switch (mode == null ? "null" : mode) {
            case "default" -> GeneralizedWassersteinDiceLoss.Weighting.DEFAULT;
            case "GDL" -> GeneralizedWassersteinDiceLoss.Weighting.GDL;
            default -> throw new NotMappable(Reason.OPTION, o.owner() + ": option 'weighting_mode' must be \"default\" or \"GDL\", got "
                    + CaseOptions.show(mode));
        };
        Reduction red = monaiReduction(o);
        double smoothNr = fidon ? o.constant("smooth_nr", GeneralizedWassersteinDiceLoss.FIDON_SMOOTH) : o.number("smooth_nr", 1e-5);
        double smoothDr = fidon ? o.constant("smooth_dr", GeneralizedWassersteinDiceLoss.FIDON_SMOOTH) : o.number("smooth_dr", 1e-5);
        Activation act = c.preActivationOrNone().equals("softmax") ? Activation.NONE : Activation.SOFTMAX;
        GeneralizedWassersteinDiceLoss loss = build(o.owner(), () -> GeneralizedWassersteinDiceLoss.builder().distanceMatrix(m)
                .weighting(weighting).smoothNr((float) smoothNr).smoothDr((float) smoothDr).activation(act).reduction(red).build());
        return loss(String.format("GeneralizedWassersteinDiceLoss(M=%s, weighting=%s, smoothNr=%s, smoothDr=%s, activation=%s,"
                + " reduction=%s)", Arrays.deepToString(m), weighting, smoothNr, smoothDr, act, red), loss);
    }

    /**
     * LIVIAETS {@code SurfaceLoss(idc)(probs, dist_maps)} with the maps of {@code one_hot2dist}:
     * the library's BoundaryLoss on probabilities with the case's precomputed maps
     * ({@code aux_inputs.distmap}); without them, the maps are computed in the LIVIAETS convention
     * with the case's {@code resolution}.
     */
    static Mapping surfaceLoss(CaseFile.Case c, CaseOptions o) {
        int[] idc = o.ints("idc");
        if (idc == null) throw new NotMappable(Reason.OPTION, o.owner() + ": option 'idc' is missing");
        double[] resolution = doubles(o, "resolution");
        BoundaryLoss loss = build(o.owner(), () -> {
            BoundaryLoss.Builder b = BoundaryLoss.builder().idc(idc).activation(Activation.NONE)
                    .convention(SignedDistanceMaps.Convention.LIVIAETS);
            if (resolution != null) b.spacing(resolution);
            return b.build();
        });
        return new ForLoss(String.format("BoundaryLoss(idc=%s, activation=NONE, maps=%s)", Arrays.toString(idc),
                "aux_inputs.distmap, else LIVIAETS maps with spacing " + Arrays.toString(resolution)),
                (x, in) -> in.distmap() != null ? loss.forwardWithMaps(x, in.distmap()) : loss.forward(x, in.target()));
    }

    // ---- generalized Dice -------------------------------------------------------------------------

    /** MONAI {@code w_type}: "square", "simple" or "uniform". */
    static GeneralizedDiceLoss.WeightType monaiWeightType(CaseOptions o) {
        String w = o.string("w_type", "square");
        return switch (w == null ? "null" : w) {
            case "square" -> GeneralizedDiceLoss.WeightType.SQUARE;
            case "simple" -> GeneralizedDiceLoss.WeightType.SIMPLE;
            case "uniform" -> GeneralizedDiceLoss.WeightType.UNIFORM;
            default -> throw new NotMappable(Reason.OPTION, o.owner() + ": option 'w_type' must be \"square\", \"simple\" or"
                    + " \"uniform\", got " + CaseOptions.show(w));
        };
    }

    /**
     * MONAI {@code GeneralizedDiceLoss}: the library's GeneralizedDiceLoss (default variant MONAI),
     * option for option, including the empty-class rule (infinite weights set to the largest finite
     * weight of the sample). MONAI's class has no {@code weight} argument.
     */
    static Mapping monaiGeneralizedDice(CaseFile.Case c, CaseOptions o) {
        o.require("to_onehot_y", true, "the vectors' targets are label maps");
        Activation act = monaiActivation(o);
        Reduction red = monaiReduction(o);
        GeneralizedDiceLoss.WeightType wt = monaiWeightType(o);
        boolean includeBackground = o.bool("include_background", true);
        boolean batch = o.bool("batch", false), softLabel = o.bool("soft_label", false);
        double smoothNr = o.number("smooth_nr", 1e-5), smoothDr = o.number("smooth_dr", 1e-5);
        GeneralizedDiceLoss loss = build(o.owner(), () -> GeneralizedDiceLoss.builder().variant(GeneralizedDiceLoss.Variant.MONAI)
                .activation(act).weightType(wt).includeBackground(includeBackground).batch(batch).softLabel(softLabel)
                .smoothNr((float) smoothNr).smoothDr((float) smoothDr).reduction(red).build());
        return loss(String.format("GeneralizedDiceLoss(variant=MONAI, activation=%s, weightType=%s, includeBackground=%b, batch=%b,"
                        + " softLabel=%b, smoothNr=%s, smoothDr=%s, reduction=%s)", act, wt, includeBackground, batch, softLabel,
                smoothNr, smoothDr, red), loss);
    }

    /**
     * LIVIAETS {@code GeneralizedDice(idc)} on probabilities: per sample
     * {@code 1 - 2(Σ w I + 1e-10)/(Σ w U + 1e-10)}, {@code w = 1/(G + 1e-10)²}, mean over N: the
     * library's GeneralizedDiceLoss with {@code variant(LIVIAETS)}, SQUARE weights, smoothing 1e-10,
     * activation NONE, as long as idc is every class or every class but 0.
     */
    static Mapping liviaetsGeneralizedDice(CaseFile.Case c, CaseOptions o) {
        boolean includeBackground = liviaetsIdc(c, o, "GeneralizedDiceLoss");
        double smoothNr = o.constant("smooth_nr", 1e-10), smoothDr = o.constant("smooth_dr", 1e-10);
        GeneralizedDiceLoss loss = build(o.owner(), () -> GeneralizedDiceLoss.builder()
                .variant(GeneralizedDiceLoss.Variant.LIVIAETS).weightType(GeneralizedDiceLoss.WeightType.SQUARE)
                .activation(Activation.NONE).includeBackground(includeBackground)
                .smoothNr((float) smoothNr).smoothDr((float) smoothDr).reduction(Reduction.MEAN).build());
        return loss("GeneralizedDiceLoss(variant=LIVIAETS, weightType=SQUARE, activation=NONE, includeBackground="
                + includeBackground + ", smoothNr=" + smoothNr + ", smoothDr=" + smoothDr + ", reduction=MEAN)", loss);
    }

    /**
     * SegLoss {@code GDiceLoss(apply_nonlin, smooth)}: per sample
     * {@code -2(Σ_c w_c I_c + s)/(Σ_c w_c U_c + s)}, {@code w = 1/(G + 1e-10)²}, mean over N (every
     * class kept): the library's GeneralizedDiceLoss with {@code variant(SEGLOSS)}.
     */
    static Mapping segLossGDice(CaseFile.Case c, CaseOptions o) {
        requireConstant(o, "weight", "1/(count+1e-10)^2");
        requireConstant(o, "smooth_added_to", "sum_c w*I and sum_c w*U");
        requireConstant(o, "sign", "-GDS");
        Activation act = segLossNonlin(o);
        double smooth = o.number("smooth", 1e-5);
        GeneralizedDiceLoss loss = build(o.owner(), () -> GeneralizedDiceLoss.builder()
                .variant(GeneralizedDiceLoss.Variant.SEGLOSS).weightType(GeneralizedDiceLoss.WeightType.SQUARE)
                .activation(act).smooth((float) smooth).reduction(Reduction.MEAN).build());
        return loss("GeneralizedDiceLoss(variant=SEGLOSS, weightType=SQUARE, activation=" + act + ", smoothNr=smoothDr=" + smooth
                + ", reduction=MEAN)", loss);
    }

    /**
     * SegLoss {@code GDiceLossV2(apply_nonlin, smooth)}: N flattened into the voxels,
     * {@code w = 1/clamp(G², min=s)}, {@code -2 Σ w I / clamp(Σ w U, min=s)}: the library's
     * GeneralizedDiceLoss with {@code variant(SEGLOSS_V2)} and {@code batch(true)}.
     */
    static Mapping segLossGDiceV2(CaseFile.Case c, CaseOptions o) {
        requireConstant(o, "weight", "1/clamp(count^2, min=smooth)");
        requireConstant(o, "denominator_clamp_min", "smooth");
        requireConstant(o, "reduce_over", "batch and voxels together");
        requireConstant(o, "sign", "-GDS");
        Activation act = segLossNonlin(o);
        double smooth = o.number("smooth", 1e-5);
        GeneralizedDiceLoss loss = build(o.owner(), () -> GeneralizedDiceLoss.builder()
                .variant(GeneralizedDiceLoss.Variant.SEGLOSS_V2).weightType(GeneralizedDiceLoss.WeightType.SQUARE).batch(true)
                .activation(act).smooth((float) smooth).reduction(Reduction.MEAN).build());
        return loss("GeneralizedDiceLoss(variant=SEGLOSS_V2, weightType=SQUARE, batch=true, activation=" + act
                + ", smoothDr=" + smooth + ", reduction=MEAN)", loss);
    }

    // ---- Tversky family ---------------------------------------------------------------------------

    /**
     * MONAI {@code TverskyLoss}: the library's TverskyLoss, option for option (alpha weighs the
     * false positives, beta the false negatives, in both). MONAI's class has no {@code weight}.
     */
    static Mapping monaiTversky(CaseFile.Case c, CaseOptions o) {
        o.require("to_onehot_y", true, "the vectors' targets are label maps");
        Activation act = monaiActivation(o);
        Reduction red = monaiReduction(o);
        boolean includeBackground = o.bool("include_background", true);
        boolean batch = o.bool("batch", false), softLabel = o.bool("soft_label", false);
        double alpha = o.number("alpha", 0.5), beta = o.number("beta", 0.5);
        double smoothNr = o.number("smooth_nr", 1e-5), smoothDr = o.number("smooth_dr", 1e-5);
        TverskyLoss loss = build(o.owner(), () -> TverskyLoss.builder().activation(act).includeBackground(includeBackground)
                .alpha((float) alpha).beta((float) beta).batch(batch).softLabel(softLabel)
                .smoothNr((float) smoothNr).smoothDr((float) smoothDr).reduction(red).build());
        return loss(String.format("TverskyLoss(activation=%s, includeBackground=%b, alpha(FP)=%s, beta(FN)=%s, batch=%b,"
                        + " softLabel=%b, smoothNr=%s, smoothDr=%s, reduction=%s)", act, includeBackground, alpha, beta, batch,
                softLabel, smoothNr, smoothDr, red), loss);
    }

    /**
     * The options SegLoss's tp/fp/fn losses share ({@code apply_nonlin}, {@code batch_dice},
     * {@code do_bg}, {@code smooth}, {@code square}; defaults None, False, True, 1, False).
     * {@code square=True} squares tp, fp, fn per voxel: not offered, unless {@code squareUnused}
     * (SSLoss stores the flag but never reads it).
     */
    static SegOpts segLossOpts(CaseOptions o, boolean squareUnused) {
        boolean square = o.bool("square", false);
        if (square && !squareUnused) {
            throw new NotMappable(Reason.VARIANT_NOT_OFFERED, o.owner() + ": square=True squares tp, fp, fn per voxel before"
                    + " summing (get_tp_fp_fn); the library's Tversky losses sum them unsquared and offer no such variant");
        }
        Activation act = segLossNonlin(o);
        boolean batch = o.bool("batch_dice", false), doBg = o.bool("do_bg", true);
        double smooth = o.number("smooth", 1.0);
        return new SegOpts(act, batch, doBg, smooth);
    }

    /** SegLoss's shared options. */
    record SegOpts(Activation act, boolean batch, boolean doBg, double smooth) {
        String describe() {
            return String.format("activation=%s, includeBackground=%b, batch=%b, smoothNr=smoothDr=%s", act, doBg, batch, smooth);
        }
    }

    /**
     * SegLoss {@code TverskyLoss}: {@code -mean((tp + s)/(tp + 0.3 fp + 0.7 fn + s))} (class 0 dropped
     * after the fact without {@code do_bg}): {@code TverskyLoss.segLossBuilder()} (Form.NEGATIVE)
     * with the hard-coded alpha/beta and the options' smoothing.
     */
    static Mapping segLossTversky(CaseFile.Case c, CaseOptions o) {
        requireConstant(o, "sign", "-mean(TI)");
        double alpha = o.constant("alpha", 0.3), beta = o.constant("beta", 0.7);
        SegOpts s = segLossOpts(o, false);
        TverskyLoss loss = build(o.owner(), () -> TverskyLoss.segLossBuilder().alpha((float) alpha).beta((float) beta)
                .activation(s.act()).includeBackground(s.doBg()).batch(s.batch())
                .smoothNr((float) s.smooth()).smoothDr((float) s.smooth()).reduction(Reduction.MEAN).build());
        return loss("TverskyLoss(form=NEGATIVE, alpha(FP)=" + alpha + ", beta(FN)=" + beta + ", " + s.describe()
                + ", reduction=MEAN)", loss);
    }

    /**
     * SegLoss {@code AsymLoss}: {@code w = β²/(1+β²)} (β = 1.5 hard-coded),
     * {@code -mean((tp + s)/(tp + w fn + (1-w) fp + s))}: the library's
     * {@code TverskyLoss.asymmetricSimilarityBuilder(β).form(NEGATIVE)}.
     */
    static Mapping segLossAsym(CaseFile.Case c, CaseOptions o) {
        requireConstant(o, "sign", "-mean(asym)");
        double fBeta = o.constant("beta", 1.5);
        SegOpts s = segLossOpts(o, false);
        TverskyLoss loss = build(o.owner(), () -> TverskyLoss.asymmetricSimilarityBuilder((float) fBeta)
                .form(TverskyLoss.Form.NEGATIVE).activation(s.act()).includeBackground(s.doBg()).batch(s.batch())
                .smoothNr((float) s.smooth()).smoothDr((float) s.smooth()).reduction(Reduction.MEAN).build());
        return loss("TverskyLoss.asymmetricSimilarity(beta=" + fBeta + ", form=NEGATIVE, " + s.describe() + ", reduction=MEAN)",
                loss);
    }

    /**
     * SegLoss {@code FocalTversky_loss(tversky_kwargs, gamma)}: {@code (1 + TverskyLoss(**tversky_kwargs))^gamma}
     * = {@code (1 - mean TI)^gamma}: {@code FocalTverskyLoss.segLossBuilder()} (MEAN_THEN_POWER) with
     * the kwargs' options and {@code exponent = gamma}.
     */
    static Mapping segLossFocalTversky(CaseFile.Case c, CaseOptions o) {
        double alpha = o.constant("tversky_alpha", 0.3), beta = o.constant("tversky_beta", 0.7);
        double gamma = o.number("gamma", 0.75);
        CaseOptions tk = nested(o, "tversky_kwargs");
        SegOpts s = segLossOpts(tk, false);
        requireAllRead(tk);
        FocalTverskyLoss loss = build(o.owner(), () -> FocalTverskyLoss.segLossBuilder().alpha((float) alpha).beta((float) beta)
                .exponent((float) gamma).activation(s.act()).includeBackground(s.doBg()).batch(s.batch())
                .smoothNr((float) s.smooth()).smoothDr((float) s.smooth()).reduction(Reduction.MEAN).build());
        return loss("FocalTverskyLoss(form=MEAN_THEN_POWER, exponent=" + gamma + ", alpha(FP)=" + alpha + ", beta(FN)=" + beta
                + ", " + s.describe() + ")", loss);
    }

    // ---- sensitivity-specificity, exponential-logarithmic ------------------------------------------

    /**
     * SegLoss {@code SSLoss}: per (sample, class) {@code r Σ se·y/(Σ y + s) + (1-r) Σ se·(1-y)/(Σ(1-y) + s)},
     * {@code se = (y - p)²}, r = 0.1 hard-coded, mean: {@code SensitivitySpecificityLoss.segLossBuilder()}
     * with {@code epsilon = smooth}. SSLoss accepts {@code square} but never uses it.
     */
    static Mapping segLossSs(CaseFile.Case c, CaseOptions o) {
        double r = o.constant("r", 0.1);
        SegOpts s = segLossOpts(o, true);
        SensitivitySpecificityLoss loss = build(o.owner(), () -> SensitivitySpecificityLoss.segLossBuilder()
                .sensitivityWeight((float) r).epsilon((float) s.smooth()).activation(s.act()).includeBackground(s.doBg())
                .batch(s.batch()).reduction(Reduction.MEAN).build());
        return loss(String.format("SensitivitySpecificityLoss(form=PER_CLASS, sensitivityWeight=%s, epsilon=%s, activation=%s,"
                + " includeBackground=%b, batch=%b, reduction=MEAN)", r, s.smooth(), s.act(), s.doBg(), s.batch()), loss);
    }

    /**
     * SegLoss {@code ExpLog_loss(soft_dice_kwargs, wce_kwargs, gamma)}:
     * {@code 0.8·(-ln clamp(mean dice, 1e-6))^gamma + 0.2·WCE(weight)} with SoftDiceLoss(softmax_helper,
     * **soft_dice_kwargs) and torch's weighted CE on the logits: {@code ExpLogLoss.segLossBuilder()}
     * (Form.SEGLOSS); smooth, do_bg, batch_dice, weight are epsilon, includeBackground, batch,
     * ceWeight (C entries). {@code apply_nonlin} is fixed by ExpLog_loss itself.
     */
    static Mapping segLossExpLog(CaseFile.Case c, CaseOptions o) {
        double wDice = o.constant("dice_weight", 0.8), wCross = o.constant("wce_weight", 0.2);
        double clamp = o.constant("dice_clamp_min", 1e-6);
        if (clamp != 1e-6) {
            throw new NotMappable(Reason.OPTION, o.owner() + ": implicit constant 'dice_clamp_min' must be 1e-6 (the library's"
                    + " ExpLogLoss clamps the mean Dice there), got " + clamp);
        }
        double gamma = o.number("gamma", 0.3);
        CaseOptions dk = nested(o, "soft_dice_kwargs"), wk = nested(o, "wce_kwargs");
        boolean square = dk.bool("square", false);
        if (square) {
            throw new NotMappable(Reason.VARIANT_NOT_OFFERED, dk.owner() + ": square=True squares tp, fp, fn per voxel before"
                    + " summing; the library's ExpLogLoss Dice term offers no such variant");
        }
        boolean batchDice = dk.bool("batch_dice", false), doBg = dk.bool("do_bg", true);
        double smooth = dk.number("smooth", 1.0);
        requireAllRead(dk);
        int classes = numClasses(c);
        Object w = wk.raw("weight");
        if (w instanceof Number) {
            throw new NotMappable(Reason.OPTION, wk.owner() + ": option 'weight' must be a list of " + classes
                    + " class weights or null (torch's weight is a tensor of size C), got " + CaseOptions.show(w));
        }
        float[] ceWeight = classWeights(wk, "weight", classes);
        requireAllRead(wk);
        ExpLogLoss loss = build(o.owner(), () -> ExpLogLoss.segLossBuilder().activation(Activation.SOFTMAX).gamma((float) gamma)
                .weightDice((float) wDice).weightCross((float) wCross).epsilon((float) smooth).includeBackground(doBg)
                .batch(batchDice).ceWeight(ceWeight).build());
        return loss(String.format("ExpLogLoss(form=SEGLOSS, activation=SOFTMAX, gamma=%s, weightDice=%s, weightCross=%s,"
                        + " epsilon=%s, includeBackground=%b, batch=%b, ceWeight=%s)", gamma, wDice, wCross, smooth, doBg, batchDice,
                Arrays.toString(ceWeight)), loss);
    }

    /**
     * LIVIAETS {@code idc} (the kept classes) as {@code includeBackground}: every class, or every
     * class but 0; any other subset is unsupported.
     */
    static boolean liviaetsIdc(CaseFile.Case c, CaseOptions o, String libraryLoss) {
        int classes = numClasses(c);
        int[] idc = o.ints("idc");
        if (idc == null) throw new NotMappable(Reason.OPTION, o.owner() + ": option 'idc' is missing");
        if (Arrays.equals(idc, range(0, classes))) return true;
        if (Arrays.equals(idc, range(1, classes))) return false;
        throw new NotMappable(Reason.OPTION, o.owner() + ": option 'idc' = " + Arrays.toString(idc) + ": the library's "
                + libraryLoss + " keeps all " + classes + " classes or all but class 0, not an arbitrary subset");
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

    /** A non-numeric implicit constant (a sign, a weight formula), when listed, must be the one the mapping reproduces. */
    private static void requireConstant(CaseOptions o, String key, String expected) {
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
